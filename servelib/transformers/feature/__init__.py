"""feature"""
