"""Online features: fetch request features from Redis, Cassandra or an embedded store before
scoring (spec.py: the serving spec's ``features``; lookup.py: the DataPlane hook)."""
