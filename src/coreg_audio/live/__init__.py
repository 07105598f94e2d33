"""Live playback: the sound card, the pacer screen and the keys."""
