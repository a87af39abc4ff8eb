"""Clustering models: KMeans, BisectingKMeans, GaussianMixture."""
