"""The data: the data sets (a registry), the input features, and a run's points (TrainingData)."""
