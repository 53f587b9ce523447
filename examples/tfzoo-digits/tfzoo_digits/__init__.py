"""tfzoo-digits: scikit-learn's 8x8 handwritten digits as the tfzoo task `digits`."""
