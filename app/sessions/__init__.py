"""One connection's session and what serves it: commands, frames, pacing, the scheduler and governor, outboxes,
events, claim watches, races.
"""
