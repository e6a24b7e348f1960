"""Teaching versions of Keras layers, each proven equal to its built-in."""
