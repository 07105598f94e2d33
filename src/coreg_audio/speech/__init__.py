"""Speech: engines, clip processing and the disk cache."""
