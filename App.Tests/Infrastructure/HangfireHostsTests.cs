using Automations.Features.Dispatch;
using Automations.Tests.TestInfrastructure;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Infrastructure;

public class HangfireHostsTests
{
    [Fact]
    public async Task Disposing_one_host_leaves_another_hosts_hangfire_working()
    {
        await using var survivor = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _ = survivor.Services.GetRequiredService<IGlobalConfiguration>();
        var doomed = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _ = doomed.Services.GetRequiredService<IGlobalConfiguration>();
        await doomed.DisposeAsync();

        // Creating a job logs through Hangfire's process-wide provider (AutomaticRetryAttribute's logger).
        survivor.Services.GetRequiredService<IDispatchQueue>().Enqueue(-1);

        var monitor = survivor.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        Assert.Equal(1, monitor.EnqueuedCount("default"));
    }
}
