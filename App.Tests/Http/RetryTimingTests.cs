using System.Collections.Concurrent;
using System.Net.Http.Json;
using Automations.Features.Dispatch;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Automations.Tests.Http;

/// <summary>Retries through the real host: the configured schedule is the schedule, and a retry starts within a second of its due time.</summary>
[Collection(WorkerHostsCollection.Name)]
public class RetryTimingTests
{
    [Theory]
    [InlineData("Dispatch:RetrySchedule:0", "00:00:02")]
    [InlineData("Dispatch:RetrySchedule", "00:00:02,00:10:00")]
    public async Task A_configured_retry_schedule_replaces_the_default_instead_of_extending_it(string key, string value)
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", [key] = value });

        var schedule = app.Get<IOptions<DispatchOptions>>().Value.RetrySchedule;

        Assert.Equal(value.Split(',').Select(TimeSpan.Parse), schedule);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_retry_starts_within_a_second_of_its_due_time(bool retryAfterHeader)
    {
        const int runs = 12;
        var delay = TimeSpan.FromSeconds(2);
        await using var receiver = await LoopbackReceiver.StartAsync();
        var arrivals = new ConcurrentDictionary<string, List<DateTimeOffset>>();
        receiver.Respond = async context =>
        {
            var times = arrivals.GetOrAdd(context.Request.Headers["webhook-id"].ToString(), _ => []);
            int count;
            lock (times)
            {
                times.Add(DateTimeOffset.UtcNow);
                count = times.Count;
            }

            context.Response.StatusCode = count == 1 ? 503 : 200;
            if (count == 1 && retryAfterHeader)
            {
                context.Response.Headers.RetryAfter = "2";
            }

            await context.Response.WriteAsync("ok");
        };
        await using var app = new AppFactory(new()
        {
            // The schedule's first delay, or a far one that Retry-After must replace; no jitter; the sweeper far away, so it cannot rescue a late retry.
            ["Dispatch:RetrySchedule:0"] = retryAfterHeader ? "01:00:00" : "00:00:02",
            ["Dispatch:Jitter"] = "0",
            ["Dispatch:SweepInterval"] = "00:01:00",
            ["Dispatch:SweepGrace"] = "00:01:00",
            // Every step of a trigger in the failure message, should one ever be late.
            ["Logging:LogLevel:Automations.Features.Dispatch"] = "Debug",
        });
        var team = await app.CreateTeamAsync();
        await app.Services.WebhookAutomationAsync(team, receiver.Url(), collection: "eval");

        using var client = await app.ApiClientAsync(team.Member);
        for (var i = 0; i < runs; i++)
        {
            (await client.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/projects/vision/collections/eval/versions", new { description = $"v{i}" })).EnsureSuccessStatusCode();
            await Task.Delay(150);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (arrivals.Values.Count(t => { lock (t) { return t.Count >= 2; } }) < runs)
        {
            if (DateTime.UtcNow >= deadline)
            {
                await using var db = await app.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Automations.Data.AppDbContext>>().CreateDbContextAsync();
                var states = db.AutomationRuns.AsEnumerable().Select(r => $"{r.Id}:{r.Status}/{r.AttemptCount}/{r.NextAttemptAt:ss.fff}/{r.LeaseOwner}/{r.LastError}");
                var logs = app.Logs.Lines.Where(l => l.Contains("Dispatch") || l.Contains("Hangfire") || l.Contains("Warning") || l.Contains("Error"));
                Assert.Fail(string.Join("\n", states) + "\n--- log ---\n" + string.Join("\n", logs.TakeLast(200)));
            }

            Assert.True(DateTime.UtcNow < deadline, $"only {arrivals.Values.Count(t => t.Count >= 2)} of {runs} runs were retried within 60 s: "
                + string.Join("; ", arrivals.Values.Select(t => string.Join(",", t.Select(x => x.ToString("ss.fff"))))));
            await Task.Delay(50);
        }

        var lateness = arrivals.Values.Select(t => t[1] - t[0] - delay).ToList();
        Assert.All(lateness, late => Assert.True(late > TimeSpan.FromMilliseconds(-50) && late < TimeSpan.FromSeconds(1),
            $"a retry arrived {late.TotalMilliseconds:F0} ms after its due time (all: {string.Join(", ", lateness.Select(l => l.TotalMilliseconds.ToString("F0")))})"));
    }
}
