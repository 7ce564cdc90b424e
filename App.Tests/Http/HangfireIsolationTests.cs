using Automations.Features.Dispatch;
using Automations.Tests.TestInfrastructure;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>Several hosts in one process (tests, benchmarks) must not share Hangfire's process-wide state.</summary>
public class HangfireIsolationTests
{
    [Fact]
    public async Task Each_host_builds_its_jobs_from_its_own_container_even_after_another_host_is_gone()
    {
        await using var a = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _ = a.Services;
        var b = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        _ = b.Services;
        // Hangfire's own registration would hand both hosts JobActivator.Current: whichever host configured Hangfire last.
        Assert.NotSame(a.Get<JobActivator>(), b.Get<JobActivator>());
        await b.DisposeAsync();

        using var scope = a.Get<JobActivator>().BeginScope((JobActivatorContext)null!);
        Assert.IsType<DeliveryJob>(scope.Resolve(typeof(DeliveryJob)));
    }
}
