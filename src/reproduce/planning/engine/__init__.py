"""The scheduling engine: plain Python and OR-Tools CP-SAT, no Django import.

The Django side (``reproduce.planning.services``) turns sites, machines, calendars, bookings and
work orders into the plain data classes of :mod:`.model`, calls :func:`.network.solve`, and
stores the :class:`.model.Plan` it returns. :mod:`.fjsp` solves the standard flexible job-shop
benchmark with the same techniques.
"""
