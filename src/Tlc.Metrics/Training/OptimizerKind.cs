namespace Tlc.Metrics;

/// <summary>The optimizers <see cref="ClassifierTrainer"/> offers.</summary>
public enum OptimizerKind
{
    /// <summary>Adam.</summary>
    Adam,

    /// <summary>Stochastic gradient descent with momentum.</summary>
    Sgd,
}
