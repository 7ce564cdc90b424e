using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.E2E;

/// <summary>
/// Several app instances as real processes on one PostgreSQL database, as they run behind a load balancer: API
/// clients spread across them, one killed with -9 mid-way and started again. Nothing is lost, no attempt runs twice
/// at once, and what one instance stored (a secret, a sign-in) works on the others.
/// </summary>
[Collection(WorkerHostsCollection.Name)]
public class ScaleOutProcessTests
{
    private const int Events = 2000;
    private const int WorkersPerInstance = 8;
    private const int SlowWorkersPerInstance = 2;

    private static Dictionary<string, string?> InstanceSettings(string connectionString, bool workers = true) => new()
    {
        ["Database:Provider"] = "Postgres",
        ["ConnectionStrings:Default"] = connectionString,
        ["Outbound:AllowedHosts:0"] = "localhost",
        ["Outbound:RequestTimeout"] = "00:00:05",
        ["Hangfire:Server:Enabled"] = workers ? "true" : "false",
        ["Hangfire:Server:WorkerCount"] = WorkersPerInstance.ToString(),
        ["Hangfire:Server:SlowWorkerCount"] = SlowWorkersPerInstance.ToString(),
        ["Dispatch:SweepInterval"] = "00:00:02",
        ["Dispatch:SweepGrace"] = "00:00:02",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Automations.Data.DatabaseStartup"] = "Information",
    };

    [Fact]
    public async Task Three_instances_deliver_every_event_through_a_kill_9_with_no_attempt_twice_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        await using var receiver = await LoopbackReceiver.StartAsync();
        var arrivals = new ConcurrentDictionary<string, int>();
        var inFlight = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        receiver.Respond = async context =>
        {
            var id = context.Request.Headers["webhook-id"].ToString();
            if (inFlight.AddOrUpdate(id, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            arrivals.AddOrUpdate(id, 1, (_, n) => n + 1);
            await Task.Delay(20);
            inFlight.AddOrUpdate(id, 0, (_, n) => n - 1);
            context.Response.StatusCode = 200;
        };

        var instances = Enumerable.Range(1, 3).Select(i => new AppProcess($"app{i}", InstanceSettings(connectionString))).ToList();
        try
        {
            // All three start on an empty database at once: one migrates under the advisory lock, the others wait and find nothing to do.
            await Task.WhenAll(instances.Select(i => i.StartAsync()));

            await using var services = await TestServices.BesideAsync(connectionString);
            var team = await services.CreateTeamAsync();
            var key = (await services.Get<ApiKeyService>().CreateAsync(team.Member, "scale")).Key;
            var hook = await services.Get<WebhookService>().CreateAsync(team.Admin, team.Slug, new WebhookInput("r", receiver.Url(), null, null));
            var artifacts = services.Get<ArtifactService>();
            await artifacts.CreateProjectAsync(team.Admin, team.Slug, "vision", null);
            var collections = new[] { "c0", "c1", "c2", "c3" };
            foreach (var collection in collections)
            {
                await artifacts.CreateCollectionAsync(team.Admin, team.Slug, "vision", collection, "dataset", null);
                await services.Get<AutomationService>().CreateAsync(team.Member, team.Slug, "vision", new AutomationInput(
                    $"Notify {collection}", null, ArtifactEventTypes.LinkArtifact, collection, null, ActionTypes.Webhook, hook.Id, PayloadPresets.Default.Template));
            }

            var clients = instances.Select(i => new HttpClient { BaseAddress = new Uri(i.Url), Timeout = TimeSpan.FromSeconds(20) }).ToList();
            clients.ForEach(c => c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key));
            var next = -1;
            var retriedRequests = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var victim = instances[1];
            Task? restart = null;
            var inFlightAtKill = 0;
            var senders = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < Events)
                {
                    if (i == Events / 3)
                    {
                        inFlightAtKill = inFlight.Values.Sum();
                        victim.Kill();
                    }
                    else if (i == Events * 2 / 3)
                    {
                        restart = victim.StartAsync();
                    }

                    // Spread across the instances; a request that fails (its instance died) goes to the next one with
                    // the same Idempotency-Key, so a version that was stored is not stored twice.
                    for (var attempt = 0; ; attempt++)
                    {
                        var client = clients[(i + attempt) % clients.Count];
                        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/teams/{team.Slug}/projects/vision/collections/{collections[i % collections.Length]}/versions")
                        {
                            Content = JsonContent.Create(new { description = $"event {i}" }),
                        };
                        request.Headers.Add("Idempotency-Key", $"event-{i}");
                        try
                        {
                            using var response = await client.SendAsync(request, ct);
                            if (response.IsSuccessStatusCode)
                            {
                                break;
                            }

                            Assert.True((int)response.StatusCode >= 500 && attempt < 20, $"event {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && attempt < 20)
                        {
                        }

                        Interlocked.Increment(ref retriedRequests);
                        await Task.Delay(50, ct);
                    }
                }
            }, ct)).ToList();
            await Task.WhenAll(senders);
            var posted = clock.Elapsed;
            Assert.NotNull(restart);
            await restart;

            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (arrivals.Count < Events && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, ct);
            }

            var delivered = clock.Elapsed;
            await using var db = await services.DbFactory.CreateDbContextAsync(ct);
            var byStatus = await db.AutomationRuns.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
            var summary = string.Join(", ", byStatus.Select(s => $"{s.Key}: {s.Count}"));
            Assert.True(arrivals.Count == Events, $"{arrivals.Count} of {Events} deliveries arrived; runs: {summary}\n{string.Join("\n", instances.Select(i => i.Output))}");
            Assert.Equal(Events, await db.ArtifactVersions.CountAsync(ct));
            Assert.Equal(Events, await db.AutomationRuns.CountAsync(r => r.Status == RunStatus.Succeeded, ct));
            Assert.Equal(0, overlaps);
            // A duplicate is an attempt the killed instance had in flight: it reached the receiver, the answer was never recorded.
            var duplicates = arrivals.Values.Sum(n => n - 1);
            Assert.True(duplicates <= WorkersPerInstance + SlowWorkersPerInstance,
                $"{duplicates} duplicate deliveries; at most the killed instance's {WorkersPerInstance + SlowWorkersPerInstance} workers could have been mid-attempt (receiver saw {inFlightAtKill} in flight at the kill)");
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"scale-out: {Events} events posted in {posted.TotalSeconds:F1} s, all delivered after {delivered.TotalSeconds:F1} s; {duplicates} duplicates after kill -9 " +
                $"({inFlightAtKill} in flight at the kill), {retriedRequests} client retries");
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task What_one_instance_stores_works_on_another_a_secret_a_sign_in_and_launch_claims()
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        // A serves requests but runs no jobs; B runs them: a delivery of something created on A is made by B.
        await using var a = new AppProcess("A", InstanceSettings(connectionString, workers: false));
        await using var b = new AppProcess("B", InstanceSettings(connectionString));
        await Task.WhenAll(a.StartAsync(), b.StartAsync());
        await using var services = await TestServices.BesideAsync(connectionString);
        var team = await services.CreateTeamAsync();
        const string password = "Scale-out-password-1!";
        var user = new ApplicationUser { UserName = "scaled@example.com", Email = "scaled@example.com", EmailConfirmed = true };
        Assert.True((await services.Get<UserManager<ApplicationUser>>().CreateAsync(user, password)).Succeeded);
        var key = (await services.Get<ApiKeyService>().CreateAsync(team.Admin, "scale")).Key;
        HttpClient Api(AppProcess instance)
        {
            var client = new HttpClient { BaseAddress = new Uri(instance.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return client;
        }

        using var apiA = Api(a);
        using var apiB = Api(b);

        // A sign-in on A is a session on B: one key ring in the database.
        var cookies = new CookieContainer();
        using (var browserA = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(a.Url) })
        {
            var login = await AppFactory.PostLoginAsync(browserA, user.Email, password);
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        using (var browserB = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(b.Url) })
        {
            var page = await browserB.GetAsync("/Account/Manage", ct);
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"B answered {(int)page.StatusCode} {page.Headers.Location} for A's session cookie");
            Assert.Contains(user.Email!, await page.Content.ReadAsStringAsync(ct));
        }

        // A secret stored through A signs a delivery that B makes.
        await using var receiver = await LoopbackReceiver.StartAsync();
        var secretValue = "whsec-" + Guid.NewGuid().ToString("N");
        (await apiA.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/secrets", new { name = "SIGNING", value = secretValue }, ct)).EnsureSuccessStatusCode();
        var hook = await (await apiA.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/webhooks", new { name = "ci", url = receiver.Url(), secretName = "SIGNING" }, ct))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>(ct);
        var artifacts = services.Get<ArtifactService>();
        await artifacts.CreateProjectAsync(team.Admin, team.Slug, "vision", null);
        await artifacts.CreateCollectionAsync(team.Admin, team.Slug, "vision", "eval", "dataset", null);
        await services.Get<AutomationService>().CreateAsync(team.Admin, team.Slug, "vision", new AutomationInput(
            "Notify", null, ArtifactEventTypes.LinkArtifact, "eval", null, ActionTypes.Webhook, hook!["id"]!.GetValue<int>(), PayloadPresets.Default.Template));
        (await apiA.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/projects/vision/collections/eval/versions", new { description = "from A" }, ct)).EnsureSuccessStatusCode();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (receiver.Received.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }

        var delivery = Assert.Single(receiver.Received);
        Assert.Equal(Automations.Features.Webhooks.WebhookAction.StandardSignature(secretValue, delivery.Headers["webhook-id"], delivery.Headers["webhook-timestamp"], delivery.Body),
            delivery.Headers["webhook-signature"]);

        // Agents on both instances claim 200 runs: each exactly once.
        const int runs = 200;
        var jobService = services.Get<JobService>();
        var queueService = services.Get<QueueService>();
        await artifacts.CreateProjectAsync(team.Admin, team.Slug, "training", null);
        await jobService.CreateJobAsync(team.Admin, team.Slug, new JobInput("train", null, new JobVersionInput("/bin/true")));
        await queueService.CreateQueueAsync(team.Admin, team.Slug, new QueueInput("gpu"));
        for (var i = 0; i < runs; i++)
        {
            (await (i % 2 == 0 ? apiA : apiB).PostAsJsonAsync($"/api/v1/teams/{team.Slug}/launch/queues/gpu/runs", new { job = "train", project = "training" }, ct))
                .EnsureSuccessStatusCode();
        }

        var claims = new ConcurrentBag<(long Run, int Agent)>();
        var agents = Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            var api = n % 2 == 0 ? apiA : apiB;
            var registered = await (await api.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/launch/agents", new { queue = "gpu", name = $"agent-{n}" }, ct))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>(ct);
            var agentId = registered!["agentId"]!.GetValue<int>();
            while (true)
            {
                using var claim = await api.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/launch/queues/gpu/claim", new { agentId }, ct);
                claim.EnsureSuccessStatusCode();
                if (claim.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }

                var run = (await claim.Content.ReadFromJsonAsync<JsonObject>(ct))!["runId"]!.GetValue<long>();
                claims.Add((run, agentId));
                (await api.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/launch/runs/{run}/status", new { agentId, status = "Finished", exitCode = 0 }, ct)).EnsureSuccessStatusCode();
            }
        }, ct)).ToList();
        await Task.WhenAll(agents);

        Assert.Equal(runs, claims.Count);
        Assert.Equal(runs, claims.Select(c => c.Run).Distinct().Count());
        Assert.True(claims.Select(c => c.Agent).Distinct().Count() > 1, "the claims were spread over agents on both instances");
        await using var db = await services.DbFactory.CreateDbContextAsync(ct);
        Assert.Equal(runs, await db.LaunchRuns.CountAsync(r => r.Status == LaunchRunStatus.Finished, ct));
    }
}
