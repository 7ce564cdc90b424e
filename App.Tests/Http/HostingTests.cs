using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>What a load balancer and an operator rely on: health endpoints, the provider setting, the client's address behind a proxy.</summary>
public class HostingTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Healthz_says_the_process_serves_and_readyz_that_the_database_answers_with_every_migration_applied(DatabaseProvider provider)
    {
        var settings = provider == DatabaseProvider.Postgres ? await PostgresServer.SettingsAsync() : [];
        settings["Hangfire:Server:Enabled"] = "false";
        await using var app = new AppFactory(settings);
        using var client = app.CreateClient(new() { AllowAutoRedirect = false });

        var live = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", JsonNode.Parse(await live.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", body["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.Contains("migrations applied", body["checks"]!["database"]!["description"]!.GetValue<string>());
        Assert.Equal("no-store", ready.Headers.CacheControl!.ToString());

        // A database behind on its migrations is not ready; the process is still alive.
        await using (var db = await app.Get<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlRawAsync("DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = (SELECT MAX(\"MigrationId\") FROM \"__EFMigrationsHistory\")");
        }

        var behind = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, behind.StatusCode);
        Assert.Contains("1 migrations not applied", await behind.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public void An_unknown_database_provider_is_refused_with_the_choices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "Oracle" }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => DatabaseStartup.Provider(configuration));
        Assert.Contains("use Sqlite (the default) or Postgres", error.Message);

        var postgres = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = "postgres" }).Build();
        Assert.Equal(DatabaseProvider.Postgres, DatabaseStartup.Provider(postgres));
        var missing = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAppDatabase(postgres, null!));
        Assert.Contains("set ConnectionStrings:Default", missing.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Behind_a_trusted_proxy_each_client_address_has_its_own_limits_and_without_the_setting_the_header_is_ignored(bool enabled)
    {
        await using var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["ForwardedHeaders:Enabled"] = enabled ? "true" : "false",
            ["RateLimits:ApiKeyFailures:PermitLimit"] = "2",
            ["RateLimits:ApiKeyFailures:Window"] = "00:01:00",
        });
        var url = app.StartOnLoopback();
        using var client = new HttpClient { BaseAddress = new Uri(url) };

        async Task<HttpStatusCode> GuessAsync(string forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/api-keys");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "ak_guess1234_notTheSecret");
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("203.0.113.5"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("203.0.113.5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync("203.0.113.5"));
        // Another client behind the same proxy (127.0.0.1, trusted by default) keeps its own budget; untrusted, the header means nothing.
        Assert.Equal(enabled ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, await GuessAsync("203.0.113.6"));
    }
}
