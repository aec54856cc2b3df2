"""The chaos soak (`make soak`): many imports in a row under feed faults and server kills, checked by an oracle."""
