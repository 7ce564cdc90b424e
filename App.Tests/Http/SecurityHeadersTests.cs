using System.Net;
using System.Text.RegularExpressions;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Http;

public partial class SecurityHeadersTests : IAsyncLifetime
{
    private readonly AppFactory _app = new(new() { ["Hangfire:Server:Enabled"] = "false" });
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync() => _team = await _app.CreateTeamAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [GeneratedRegex("<script type=\"importmap\" nonce=\"([^\"]+)\"")]
    private static partial Regex ImportMapNonce();

    [Fact]
    public async Task Pages_api_answers_static_files_and_error_pages_carry_the_security_headers()
    {
        using var browser = _app.CreateClient(new() { AllowAutoRedirect = false });
        using var api = await _app.ApiClientAsync(_team.Admin);

        var responses = new Dictionary<string, HttpResponseMessage>
        {
            ["page"] = await browser.GetAsync("/Account/Login"),
            ["api"] = await api.GetAsync("/api/v1/api-keys"),
            ["api 401"] = await browser.GetAsync("/api/v1/api-keys"),
            ["static file"] = await browser.GetAsync("/_content/MudBlazor/MudBlazor.min.css"),
            ["framework script"] = await browser.GetAsync("/_framework/blazor.web.js"),
            ["not found"] = await browser.GetAsync("/no-such-page"),
        };

        foreach (var (what, response) in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, $"{what}: {(int)response.StatusCode}");
            Assert.True(Header(response, "X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options '{Header(response, "X-Content-Type-Options")}'");
            Assert.True(Header(response, "X-Frame-Options") == "DENY", $"{what}: X-Frame-Options");
            Assert.True(Header(response, "Referrer-Policy") == "strict-origin-when-cross-origin", $"{what}: Referrer-Policy");
            var csp = Header(response, "Content-Security-Policy");
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Contains("object-src 'none'", csp);
            Assert.DoesNotContain("unsafe-eval", csp);
            Assert.DoesNotMatch("script-src[^;]*'unsafe-inline'", csp);
        }
    }

    [Fact]
    public async Task The_import_map_runs_by_a_nonce_fresh_on_every_page()
    {
        using var browser = _app.CreateClient(new() { AllowAutoRedirect = false });

        var first = await browser.GetAsync("/Account/Login");
        var second = await browser.GetAsync("/Account/Login");

        var nonce = WebUtility.HtmlDecode(ImportMapNonce().Match(await first.Content.ReadAsStringAsync()).Groups[1].Value);
        Assert.NotEmpty(nonce);
        Assert.Contains($"script-src 'self' 'nonce-{nonce}'", Header(first, "Content-Security-Policy"));
        Assert.DoesNotContain(nonce, Header(second, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Only_the_api_reference_may_run_inline_scripts()
    {
        using var browser = _app.CreateClient(new() { AllowAutoRedirect = false });

        var docs = await browser.GetAsync("/api/docs/");

        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("script-src 'self' 'unsafe-inline' 'unsafe-eval'", Header(docs, "Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", Header(docs, "Content-Security-Policy"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : "";
}
