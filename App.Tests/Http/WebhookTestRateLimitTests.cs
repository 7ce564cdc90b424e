using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

public class WebhookTestRateLimitTests
{
    [Fact]
    public async Task The_test_button_answers_429_with_retry_after_once_the_users_budget_is_spent()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        await using var app = new AppFactory(new() { ["Hangfire:Server:Enabled"] = "false", ["RateLimits:WebhookTest:PermitLimit"] = "2", ["RateLimits:WebhookTest:Window"] = "00:10:00" });
        var team = await app.CreateTeamAsync();
        using var admin = await app.ApiClientAsync(team.Admin);
        var hook = JsonDocument.Parse(await (await admin.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/webhooks", new { name = "r", url = receiver.Url() })).Content.ReadAsStringAsync())
            .RootElement.GetProperty("id").GetInt32();
        var test = $"/api/v1/teams/{team.Slug}/webhooks/{hook}/test";

        for (var i = 0; i < 2; i++)
        {
            var sent = await admin.PostAsync(test, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            Assert.True(sent.StatusCode == HttpStatusCode.OK, $"{(int)sent.StatusCode} {await sent.Content.ReadAsStringAsync()}");
        }

        var refused = await admin.PostAsync(test, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Assert.Contains("Too many test sends", await refused.Content.ReadAsStringAsync());
        Assert.Equal(2, receiver.Received.Count);

        // Another admin has a budget of their own.
        var other = (await app.CreateUserAsync("second-admin")).Actor;
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<Automations.Features.Teams.TeamService>().AddMemberAsync(team.Admin, team.Slug, other.UserName, Automations.Features.Teams.TeamRole.Admin);
        }

        using var second = await app.ApiClientAsync(other);
        var own = await second.PostAsync(test, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(own.StatusCode == HttpStatusCode.OK, $"{(int)own.StatusCode} {await own.Content.ReadAsStringAsync()}");
    }
}
