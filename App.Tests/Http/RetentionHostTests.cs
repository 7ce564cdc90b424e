using Automations.Features.Retention;
using Automations.Tests.TestInfrastructure;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>The retention job as the app wires it: scheduled in Hangfire at start, refused at start when misconfigured.</summary>
public class RetentionHostTests
{
    [Fact]
    public async Task The_retention_job_is_a_recurring_hangfire_job_on_its_schedule_and_runs_from_the_apps_services()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["Retention:Schedule"] = "15 2 * * *" });

        using var connection = app.Get<JobStorage>().GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == RetentionJob.RecurringJobId);
        Assert.Equal("15 2 * * *", job.Cron);
        Assert.Equal("UTC", job.TimeZoneId);
        using var scope = app.Services.CreateScope();
        var removed = await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["Attempts", "Audit", "Events", "IdempotencyKeys", "LaunchRuns", "Runs"], removed.Keys.Order());
    }

    [Fact]
    public async Task A_wrong_retention_setting_stops_the_app_at_start()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["Retention:Attempts"] = "thirty" });

        var error = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains("Retention:Attempts: 'thirty'", error.Message);
    }
}
