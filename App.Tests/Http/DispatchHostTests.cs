using System.Net.Http.Json;
using System.Text;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Secrets;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;

namespace Automations.Tests.Http;

/// <summary>The whole app with real Hangfire workers: API call in, signed delivery out, across restarts and hosts.</summary>
[Collection(WorkerHostsCollection.Name)]
public class DispatchHostTests : IAsyncLifetime
{
    private const string Secret = "standard-webhooks-secret-ü";
    private readonly TestDirectory _data = new();
    private LoopbackReceiver _receiver = null!;

    public async ValueTask InitializeAsync() => _receiver = await LoopbackReceiver.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _data.Dispose();
    }

    private AppFactory Host(bool workers) => new(new()
    {
        ["Hangfire:Server:Enabled"] = workers ? "true" : "false",
        ["Dispatch:SweepInterval"] = "00:00:01",
        ["Dispatch:SweepGrace"] = "00:00:01",
    }, _data.Path);

    /// <summary>A team, project, collection, signed webhook and automation; returns an API client of the member.</summary>
    private async Task<(HttpClient Client, string Versions)> SetUpAsync(AppFactory app)
    {
        var team = await app.CreateTeamAsync();
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<SecretService>().CreateAsync(team.Admin, team.Slug, "SIGNING", Secret);
        }

        await app.Services.WebhookAutomationAsync(team, _receiver.Url(), template: PayloadPresets.GitHub.Template, secretName: "SIGNING");

        return (await app.ApiClientAsync(team.Member), $"/api/v1/teams/{team.Slug}/projects/vision/collections/eval-set/versions");
    }

    private async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_version_logged_through_the_api_is_delivered_signed_so_a_standard_webhooks_receiver_accepts_it()
    {
        await using var app = Host(workers: true);
        var (client, versions) = await SetUpAsync(app);

        (await client.PostAsJsonAsync(versions, new { description = "new eval set" })).EnsureSuccessStatusCode();

        await WaitForAsync(() => !_receiver.Received.IsEmpty, "the delivery");
        var received = Assert.Single(_receiver.Received);
        Assert.Contains("\"event_type\":\"BUILD_AND_DEPLOY\"", received.BodyText);
        Assert.Contains(":v0\"", received.BodyText);

        // The standardwebhooks library's verifier, configured the way the README tells receivers to.
        var verifier = new StandardWebhook("whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)));
        var headers = new HeaderDictionary();
        foreach (var name in new[] { "webhook-id", "webhook-timestamp", "webhook-signature" })
        {
            headers[name] = received.Headers[name];
        }

        verifier.Verify(received.BodyText, headers);
        headers["webhook-signature"] = "v1," + Convert.ToBase64String(new byte[32]);
        Assert.ThrowsAny<Exception>(() => verifier.Verify(received.BodyText, headers));
        Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), received.Body)), received.Headers["X-Wandb-Signature"]);

        var runs = await client.GetFromJsonAsync<System.Text.Json.JsonElement>(versions.Replace("/collections/eval-set/versions", "/runs"));
        Assert.Equal(1, runs.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Runs_pending_when_the_host_stops_are_all_delivered_by_the_next_host()
    {
        string versions;
        await using (var first = Host(workers: false))
        {
            var (client, path) = await SetUpAsync(first);
            versions = path;
            for (var i = 0; i < 12; i++)
            {
                (await client.PostAsJsonAsync(versions, new { description = $"v{i}" })).EnsureSuccessStatusCode();
            }

            await using var db = await first.Get<IDbContextFactory<Automations.Data.AppDbContext>>().CreateDbContextAsync();
            Assert.Equal(12, await db.AutomationRuns.CountAsync(r => r.Status == RunStatus.Pending));
            Assert.Empty(_receiver.Received);
        }

        await using var second = Host(workers: true);
        _ = second.Services;

        await WaitForAsync(() => _receiver.Received.Count >= 12, "12 deliveries after the restart");
        Assert.Equal(12, _receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
        await using var check = await second.Get<IDbContextFactory<Automations.Data.AppDbContext>>().CreateDbContextAsync();
        await WaitForAsync(() => check.AutomationRuns.Count(r => r.Status == RunStatus.Succeeded) == 12, "12 succeeded runs");
    }

    [Fact]
    public async Task Two_hosts_on_one_database_never_run_the_same_attempt_twice()
    {
        await using (var producer = Host(workers: false))
        {
            var (client, versions) = await SetUpAsync(producer);
            await Task.WhenAll(Enumerable.Range(0, 30).Select(i => client.PostAsJsonAsync(versions, new { description = $"v{i}" })));
        }

        _receiver.Respond = async context =>
        {
            await Task.Delay(20);
            context.Response.StatusCode = 200;
        };
        await using var one = Host(workers: true);
        await using var two = Host(workers: true);
        await Task.WhenAll(Task.Run(() => one.Services), Task.Run(() => two.Services));

        await WaitForAsync(() => _receiver.Received.Count >= 30, "30 deliveries");
        await Task.Delay(2500); // two more sweeps of each host: nothing may be delivered again
        Assert.Equal(30, _receiver.Received.Count);
        Assert.Equal(30, _receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
        await using var db = await one.Get<IDbContextFactory<Automations.Data.AppDbContext>>().CreateDbContextAsync();
        Assert.Equal(30, await db.DeliveryAttempts.CountAsync());
    }
}
