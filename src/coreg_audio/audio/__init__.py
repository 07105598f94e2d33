"""Sound: synthesized tones and ambience, the numpy mixer, loudness and the limiter."""
