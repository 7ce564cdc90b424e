using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Http;

/// <summary>In-process test clients have no remote address, so every client here counts as the same address ("unknown").</summary>
public class RateLimitTests
{
    [Fact]
    public async Task Sign_in_posts_beyond_the_limit_get_429_with_retry_after_on_every_account_form()
    {
        await using var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["RateLimits:SignIn:PermitLimit"] = "2",
            ["RateLimits:SignIn:Window"] = "00:01:00",
        });
        var (actor, password) = await app.CreateUserAsync("limited");
        using var client = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        Assert.Equal(HttpStatusCode.OK, (await AppFactory.PostLoginAsync(client, actor.UserName, "Wrong-password-1!")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AppFactory.PostLoginAsync(client, actor.UserName, "Wrong-password-1!")).StatusCode);

        var refused = await AppFactory.PostLoginAsync(client, actor.UserName, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Contains("Too many sign-in attempts", await refused.Content.ReadAsStringAsync());

        // Showing the forms stays free; the budget is the address's, shared by every credential-taking form.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Account/Login")).StatusCode);
        foreach (var form in new[] { "/Account/Register", "/Account/ForgotPassword", "/Account/LoginWith2fa", "/Account/LoginWithRecoveryCode", "/Account/ResetPassword", "/Account/ResendEmailConfirmation" })
        {
            var post = await client.PostAsync(form, new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Email"] = actor.UserName }));
            Assert.True(post.StatusCode == HttpStatusCode.TooManyRequests, $"{form}: {(int)post.StatusCode}");
            Assert.NotNull(post.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task After_the_allowed_bad_api_keys_every_api_request_from_that_address_gets_429_even_with_a_valid_key()
    {
        await using var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["RateLimits:ApiKeyFailures:PermitLimit"] = "3",
            ["RateLimits:ApiKeyFailures:Window"] = "00:01:00",
        });
        var team = await app.CreateTeamAsync();
        using var valid = await app.ApiClientAsync(team.Admin);
        using var guesser = app.CreateClient(new() { AllowAutoRedirect = false });
        guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ak_guess1234_notTheSecret");

        Assert.Equal(HttpStatusCode.OK, (await valid.GetAsync("/api/v1/api-keys")).StatusCode);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/v1/api-keys")).StatusCode);
        }

        var refused = await guesser.GetAsync("/api/v1/api-keys");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());

        Assert.Equal(HttpStatusCode.TooManyRequests, (await valid.GetAsync("/api/v1/api-keys")).StatusCode);
        using var anonymous = app.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.TooManyRequests, (await anonymous.GetAsync("/api/v1/api-keys")).StatusCode);

        // The UI is not the API: a refused address can still sign in and use the pages.
        using var browser = await app.SignedInClientAsync(team.Admin.UserName);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/settings/api-keys")).StatusCode);
    }

    [Fact]
    public async Task A_valid_api_key_works_again_once_the_window_has_passed()
    {
        await using var app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["RateLimits:ApiKeyFailures:PermitLimit"] = "1",
            ["RateLimits:ApiKeyFailures:Window"] = "00:00:02",
        });
        var team = await app.CreateTeamAsync();
        using var valid = await app.ApiClientAsync(team.Admin);
        using var guesser = app.CreateClient(new() { AllowAutoRedirect = false });
        guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ak_guess1234_notTheSecret");

        HttpStatusCode status;
        var attempts = 0;
        do
        {
            status = (await guesser.GetAsync("/api/v1/api-keys")).StatusCode;
        }
        while (status != HttpStatusCode.TooManyRequests && ++attempts < 10);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((status = (await valid.GetAsync("/api/v1/api-keys")).StatusCode) == HttpStatusCode.TooManyRequests && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
