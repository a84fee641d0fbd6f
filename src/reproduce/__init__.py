"""ReProduce: the operating system of a local, circular and distributed production network."""

__version__ = "0.1.0"
