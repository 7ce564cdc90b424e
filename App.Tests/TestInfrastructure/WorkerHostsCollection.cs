namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// Tests that time what a whole host with its Hangfire workers does (retries within a second, drains, restarts) run one
/// class at a time: beside each other on two cores, one host's workers could sit starved for seconds, and the timing
/// they assert would measure the machine, not the app.
/// </summary>
[CollectionDefinition(Name)]
public sealed class WorkerHostsCollection
{
    public const string Name = "worker hosts";
}
