def plot_sweep(): pass
def plot_populations(): pass
