using System.Diagnostics;
using System.Net.Http.Json;
using Automations.Data;
using Automations.Features.Dispatch;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>Stopping the host (what SIGTERM does) with an attempt in flight: it finishes within the drain time, or gives its run back.</summary>
[Collection(WorkerHostsCollection.Name)]
public class DrainTests : IAsyncLifetime
{
    private readonly TestDirectory _data = new();
    private LoopbackReceiver _receiver = null!;
    private TimeSpan _answerAfter;
    private readonly TaskCompletionSource _requestStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask InitializeAsync()
    {
        _receiver = await LoopbackReceiver.StartAsync();
        _receiver.Respond = async context =>
        {
            _requestStarted.TrySetResult();
            await Task.Delay(_answerAfter, context.RequestAborted);
            await context.Response.WriteAsync("ok");
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _data.Dispose();
    }

    private AppFactory Host(string drain) => new(new()
    {
        ["Shutdown:DrainTimeout"] = drain,
        ["Outbound:RequestTimeout"] = "00:01:00",
        ["Dispatch:SweepInterval"] = "00:00:01",
    }, _data.Path);

    private async Task LogVersionThroughTheApiAsync(AppFactory app)
    {
        var team = await app.CreateTeamAsync();
        await app.Services.WebhookAutomationAsync(team, _receiver.Url(), collection: "eval");

        using var client = await app.ApiClientAsync(team.Member);
        (await client.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/projects/vision/collections/eval/versions", new { })).EnsureSuccessStatusCode();
    }

    private async Task<AutomationRun> TheRunAsync()
    {
        var options = new DbContextOptionsBuilder<AppDbContext>().UseSqlite($"Data Source={Path.Combine(_data.Path, "automations.db")}").Options;
        await using var db = new AppDbContext(options);
        return await db.AutomationRuns.Include(r => r.Attempts).AsNoTracking().SingleAsync();
    }

    [Fact]
    public async Task An_attempt_in_flight_when_the_host_stops_finishes_within_the_drain_time_and_is_recorded()
    {
        _answerAfter = TimeSpan.FromSeconds(2);
        var app = Host(drain: "00:00:10");
        await LogVersionThroughTheApiAsync(app);
        await _requestStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await app.DisposeAsync();

        var run = await TheRunAsync();
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Single(run.Attempts);
    }

    [Fact]
    public async Task An_attempt_still_in_flight_after_the_drain_time_gives_its_run_back_and_the_next_start_sends_it_at_once()
    {
        _answerAfter = TimeSpan.FromSeconds(60);
        var app = Host(drain: "00:00:01");
        await LogVersionThroughTheApiAsync(app);
        await _requestStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var stopping = Stopwatch.StartNew();
        await app.DisposeAsync();
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {stopping.Elapsed.TotalSeconds:F1} s");

        var abandoned = await TheRunAsync();
        Assert.Equal((RunStatus.Pending, (string?)null, 0), (abandoned.Status, abandoned.LeaseOwner, abandoned.Attempts.Count));

        _answerAfter = TimeSpan.Zero;
        var restarted = Stopwatch.StartNew();
        await using var next = Host(drain: "00:00:10");
        _ = next.Services;
        // Well before its lease would have expired (the request timeout of 60 s plus 15 s): the lease was given back.
        while ((await TheRunAsync()).Status != RunStatus.Succeeded)
        {
            Assert.True(restarted.Elapsed < TimeSpan.FromSeconds(30), $"the abandoned run was not sent by the next start within {restarted.Elapsed.TotalSeconds:F0} s");
            await Task.Delay(100);
        }
    }
}
