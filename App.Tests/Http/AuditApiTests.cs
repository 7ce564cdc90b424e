using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Http;

/// <summary><c>GET /api/v1/teams/{team}/audit</c>, and what an API call records about where it came from.</summary>
public class AuditApiTests
{
    private static string Audit(string team) => $"/api/v1/teams/{team}/audit";

    [Fact]
    public async Task Admins_page_through_filtered_entries_members_get_403_outsiders_404_and_anonymous_401()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false" });
        var team = await app.CreateTeamAsync();
        using var admin = await app.ApiClientAsync(team.Admin);
        foreach (var queue in new[] { "cpu", "gpu", "tpu" })
        {
            (await admin.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/launch/queues", new { name = queue })).EnsureSuccessStatusCode();
        }

        var first = await admin.GetFromJsonAsync<JsonElement>($"{Audit(team.Slug)}?action=queue&pageSize=2");
        var second = await admin.GetFromJsonAsync<JsonElement>($"{Audit(team.Slug)}?action=queue&pageSize=2&after={first.GetProperty("next").GetString()}");

        Assert.Equal(3, first.GetProperty("total").GetInt32());
        Assert.Equal(["tpu", "gpu"], Names(first));
        Assert.Equal(["cpu"], Names(second));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        var byActor = await admin.GetFromJsonAsync<JsonElement>($"{Audit(team.Slug)}?actor={Uri.EscapeDataString(team.Member.UserName)}");
        Assert.Equal(0, byActor.GetProperty("total").GetInt32());
        var memberAdded = await admin.GetFromJsonAsync<JsonElement>($"{Audit(team.Slug)}?targetType=member");
        Assert.Equal("member.added", memberAdded.GetProperty("items")[0].GetProperty("action").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"{Audit(team.Slug)}?targetType=planet")).StatusCode);

        using var member = await app.ApiClientAsync(team.Member);
        using var outsider = await app.ApiClientAsync(team.Outsider);
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync(Audit(team.Slug))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync(Audit(team.Slug))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(Audit(team.Slug))).StatusCode);
    }

    [Fact]
    public async Task A_change_through_the_api_records_the_client_address_user_agent_and_key_prefix_never_the_key()
    {
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["ForwardedHeaders:Enabled"] = "true" });
        var url = app.StartOnLoopback();
        var team = await app.CreateTeamAsync();
        var key = await app.ApiKeyAsync(team.Admin);
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("release-bot/2.1");
        // Behind the trusted proxy (loopback by default) the forwarded address is the client's.
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");

        (await client.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/launch/queues", new { name = "gpu" })).EnsureSuccessStatusCode();

        var list = await client.GetFromJsonAsync<JsonElement>($"{Audit(team.Slug)}?action=queue.created");
        var entry = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("203.0.113.7", entry.GetProperty("ipAddress").GetString());
        Assert.Equal("release-bot/2.1", entry.GetProperty("userAgent").GetString());
        Assert.Equal($"api key {key[..key.LastIndexOf('_')]}", entry.GetProperty("via").GetString());
        Assert.Equal(team.Admin.UserName, entry.GetProperty("actorName").GetString());
        Assert.DoesNotContain(key, list.GetRawText());
    }

    private static IEnumerable<string?> Names(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("targetName").GetString());
}
