using System.Text;
using Microsoft.AspNetCore.Http;
using Automations.Features.Secrets;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Features.Webhooks;

public class WebhookServiceTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private LoopbackReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(new Dictionary<string, string?>
        {
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Outbound:RequestTimeout"] = "00:00:02",
        });
        _services.Resolver.Map("localhost", "127.0.0.1").Map("ci.example.com", "93.184.216.34").Map("internal.example.com", "10.0.0.7");
        _team = await _services.CreateTeamAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        var secrets = _services.Get<SecretService>();
        await secrets.CreateAsync(_team.Admin, _team.Slug, "SIGNING_SECRET", "whsec-Ünïcode \"quoted\"");
        await secrets.CreateAsync(_team.Admin, _team.Slug, "ACCESS_TOKEN", "tok_abc123");
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _services.DisposeAsync();
    }

    private WebhookService Webhooks => _services.Get<WebhookService>();

    private Task<WebhookSummary> CreateReceiverHookAsync(string? secret = "SIGNING_SECRET", string? token = "ACCESS_TOKEN", string path = "/hook") =>
        Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Receiver", _receiver.Url(path), secret, token));

    [Fact]
    public async Task Admin_creates_edits_and_deletes_a_webhook()
    {
        var created = await Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput(" CI ", "https://ci.example.com/hook", "SIGNING_SECRET", null));
        Assert.Equal("CI", created.Name);
        Assert.Equal("SIGNING_SECRET", created.SecretName);

        var updated = await Webhooks.UpdateAsync(_team.Admin, _team.Slug, created.Id, new WebhookInput("CI", "https://ci.example.com/v2", null, "ACCESS_TOKEN"));
        Assert.Equal("https://ci.example.com/v2", updated.Url);
        Assert.Null(updated.SecretName);
        Assert.Equal("ACCESS_TOKEN", updated.AccessTokenName);

        await Webhooks.DeleteAsync(_team.Admin, _team.Slug, created.Id);
        Assert.Empty(await Webhooks.ListAsync(_team.Member, _team.Slug));
    }

    [Fact]
    public async Task The_test_result_shows_no_secret_value_an_endpoint_echoes()
    {
        var hook = await CreateReceiverHookAsync();
        _receiver.Respond = async context =>
        {
            context.Response.Headers["X-Echo-Authorization"] = context.Request.Headers.Authorization.ToString();
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync($"bad token {context.Request.Headers.Authorization} " +
                System.Text.Json.JsonSerializer.Serialize(new { token = context.Request.Headers.Authorization.ToString() }));
        };

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        var shown = string.Join("\n", result.ResponseBody, string.Join("\n", result.ResponseHeaders.Select(h => h.Value)), string.Join("\n", result.RequestHeaders.Select(h => h.Value)));
        Assert.DoesNotContain("tok_abc123", shown);
        Assert.Contains("bad token Bearer [redacted]", result.ResponseBody);
    }

    [Theory]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://internal.example.com/hook")]
    [InlineData("http://intranet/hook")]
    [InlineData("ftp://ci.example.com/x")]
    public async Task Unsafe_url_is_refused_at_save_naming_the_url_field_and_nothing_is_written(string url)
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("X", url, null, null)));

        Assert.Equal("url", ex.Field);
        Assert.Empty(await Webhooks.ListAsync(_team.Admin, _team.Slug));
    }

    [Fact]
    public async Task Unknown_secret_and_duplicate_name_are_refused()
    {
        var unknown = await Assert.ThrowsAsync<InputException>(() =>
            Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("X", "https://ci.example.com/x", "NOPE", null)));
        Assert.Equal("secret", unknown.Field);

        await Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("X", "https://ci.example.com/x", null, null));
        await Assert.ThrowsAsync<ConflictException>(() => Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("X", "https://ci.example.com/y", null, null)));
    }

    [Fact]
    public async Task Member_is_refused_every_admin_action_and_outsider_gets_not_found()
    {
        var hook = await CreateReceiverHookAsync();
        var input = new WebhookInput("Y", "https://ci.example.com/y", null, null);

        await Assert.ThrowsAsync<ForbiddenException>(() => Webhooks.CreateAsync(_team.Member, _team.Slug, input));
        await Assert.ThrowsAsync<ForbiddenException>(() => Webhooks.UpdateAsync(_team.Member, _team.Slug, hook.Id, input));
        await Assert.ThrowsAsync<ForbiddenException>(() => Webhooks.DeleteAsync(_team.Member, _team.Slug, hook.Id));
        await Assert.ThrowsAsync<ForbiddenException>(() => Webhooks.TestAsync(_team.Member, _team.Slug, hook.Id, "{}"));
        await Assert.ThrowsAsync<NotFoundException>(() => Webhooks.ListAsync(_team.Outsider, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => Webhooks.TestAsync(_team.Outsider, _team.Slug, hook.Id, "{}"));
        await Assert.ThrowsAsync<NotFoundException>(() => Webhooks.DeleteAsync(_team.Outsider, _team.Slug, hook.Id));
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Test_posts_the_exact_body_with_the_headers_a_delivery_carries()
    {
        var hook = await CreateReceiverHookAsync();
        const string payload = "{ \"event_type\": \"LINK_ARTIFACT\",\n  \"note\": \"ünïcode ✓\" }";

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, payload);

        Assert.Equal(200, result.StatusCode);
        Assert.Equal("{\"ok\":true}", result.ResponseBody);
        Assert.Contains(result.ResponseHeaders, h => h.Key == "X-Receiver" && h.Value == "loopback");
        var received = Assert.Single(_receiver.Received);
        Assert.Equal("POST", received.Method);
        Assert.Equal(payload, received.BodyText);
        Assert.Equal("application/json", received.Headers["Content-Type"]);
        Assert.Equal("Bearer tok_abc123", received.Headers["Authorization"]);
        Assert.StartsWith("Automations-Webhooks/", received.Headers["User-Agent"]);
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes("whsec-Ünïcode \"quoted\""), Encoding.UTF8.GetBytes(payload)));
        Assert.Equal(expected, received.Headers["X-Wandb-Signature"]);
    }

    [Fact]
    public async Task Test_without_secret_or_token_sends_neither_header()
    {
        var hook = await CreateReceiverHookAsync(secret: null, token: null);

        await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        var received = Assert.Single(_receiver.Received);
        Assert.False(received.Headers.ContainsKey("Authorization"));
        Assert.False(received.Headers.ContainsKey("X-Wandb-Signature"));
    }

    [Fact]
    public async Task Test_result_never_contains_the_secret_values()
    {
        var hook = await CreateReceiverHookAsync();

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        var shown = System.Text.Json.JsonSerializer.Serialize(result);
        Assert.DoesNotContain("tok_abc123", shown);
        Assert.DoesNotContain("whsec", shown);
        Assert.Contains(result.RequestHeaders, h => h.Key == "Authorization" && h.Value == "Bearer [redacted]");
    }

    [Theory]
    [InlineData("{\"a\": 1,}", "line 1")]
    [InlineData("{\n  \"a\": 1\n  \"b\": 2\n}", "line 3")]
    [InlineData("not json", "line 1")]
    [InlineData("   ", "empty")]
    public async Task Invalid_json_is_refused_before_sending_pointing_at_the_error(string payload, string expected)
    {
        var hook = await CreateReceiverHookAsync();

        var ex = await Assert.ThrowsAsync<InputException>(() => Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, payload));

        Assert.Equal("payload", ex.Field);
        Assert.Contains(expected, ex.Message);
        // One position, the one people count: not the reader's own 0-based "LineNumber: 2 | BytePositionInLine: 3" as well.
        Assert.DoesNotContain("LineNumber", ex.Message);
        Assert.DoesNotContain("BytePosition", ex.Message);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_webhook_not_saved_yet_is_tested_as_entered_with_its_secrets_and_nothing_is_stored()
    {
        const string payload = "{\"event_type\": \"LINK_ARTIFACT\"}";

        var result = await Webhooks.TestDraftAsync(_team.Admin, _team.Slug, new WebhookInput("", _receiver.Url("/draft"), "SIGNING_SECRET", "ACCESS_TOKEN"), payload);

        Assert.Equal(200, result.StatusCode);
        var received = Assert.Single(_receiver.Received);
        Assert.Equal(("/draft", payload, "Bearer tok_abc123"), (received.Path, received.BodyText, received.Headers["Authorization"]));
        Assert.True(received.Headers.ContainsKey("X-Wandb-Signature"));
        Assert.Empty(await Webhooks.ListAsync(_team.Admin, _team.Slug));

        Assert.Equal("url", (await Assert.ThrowsAsync<InputException>(() => Webhooks.TestDraftAsync(_team.Admin, _team.Slug, new WebhookInput("x", "http://internal.example.com/x", null, null), payload))).Field);
        Assert.Equal("secret", (await Assert.ThrowsAsync<InputException>(() => Webhooks.TestDraftAsync(_team.Admin, _team.Slug, new WebhookInput("x", _receiver.Url(), "NOPE", null), payload))).Field);
        await Assert.ThrowsAsync<ForbiddenException>(() => Webhooks.TestDraftAsync(_team.Member, _team.Slug, new WebhookInput("x", _receiver.Url(), null, null), payload));
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task Error_status_and_body_are_shown_and_the_body_is_bounded()
    {
        _receiver.Respond = async context =>
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync(new string('x', 100_000));
        };
        var hook = await CreateReceiverHookAsync();

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        Assert.Equal(503, result.StatusCode);
        Assert.False(result.IsSuccess);
        Assert.True(result.ResponseBodyTruncated);
        Assert.Equal(WebhookSender.BodyExcerptBytes, result.ResponseBody!.Length);
    }

    [Fact]
    public async Task Redirect_is_not_followed()
    {
        _receiver.Respond = context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = "http://169.254.169.254/latest/meta-data/";
            return Task.CompletedTask;
        };
        var hook = await CreateReceiverHookAsync();

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        Assert.Equal(302, result.StatusCode);
        Assert.False(result.IsSuccess);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task Timeout_is_reported_as_such()
    {
        _receiver.Respond = async context => await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        var hook = await CreateReceiverHookAsync();

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        Assert.Equal(DeliveryErrorKind.Timeout, result.ErrorKind);
        Assert.Null(result.StatusCode);
    }

    [Fact]
    public async Task Connection_refused_is_reported_as_such()
    {
        var hook = await CreateReceiverHookAsync();
        var port = _receiver.Port;
        await _receiver.DisposeAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        Assert.NotEqual(port, _receiver.Port);

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        Assert.Equal(DeliveryErrorKind.ConnectionRefused, result.ErrorKind);
    }

    [Fact]
    public async Task Dns_rebinding_after_save_is_blocked_at_connect_time()
    {
        _services.Resolver.MapSequence("rebind.example.com", ["93.184.216.34"], ["127.0.0.1"]);
        var hook = await Webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Rebind", $"http://rebind.example.com:{_receiver.Port}/hook", null, null));

        var result = await Webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");

        Assert.Equal(DeliveryErrorKind.Blocked, result.ErrorKind);
        Assert.Contains("loopback", result.Error);
        Assert.Empty(_receiver.Received);
    }
}
