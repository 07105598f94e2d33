"""Sound: decoded files, synthesized tones and ambience, the numpy mixer, loudness, the limiter
and the mastering chain."""
