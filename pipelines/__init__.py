"""veilwatch pipelines: graph assembly, pipeline options and the command line."""
