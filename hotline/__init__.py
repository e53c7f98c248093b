"""The hotline app: 12319 calls and 12345 transfers, replies and callbacks, the public channel and Open311."""
