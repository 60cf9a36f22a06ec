"""Classroom rooms: a teacher's session on every student's socket (follow), or a copy for each (hands-on)."""
