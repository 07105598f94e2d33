"""Reading and checking practice scripts: YAML with marks, the model, the schema."""
