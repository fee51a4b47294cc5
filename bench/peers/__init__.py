"""Independent peer models of layer D (Murphi for Rumur, Promela for SPIN); see compare.py."""
