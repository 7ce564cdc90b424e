using System.Net;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Http;

/// <summary>A sign-in link may carry any ReturnUrl; only this app's own pages may be where it leads.</summary>
public class ReturnUrlTests : IAsyncLifetime
{
    private readonly AppFactory _app = new(new() { ["Hangfire:Server:Enabled"] = "false" });
    private string _email = "";
    private string _password = "";

    public static TheoryData<string> HostileUrls =>
    [
        "https://evil.example/",
        "http://localhost.evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http:evil.example",
        "/\r\nSet-Cookie:x=y",
    ];

    public async ValueTask InitializeAsync() => (_email, _password) = ((await _app.CreateUserAsync("returner")).Actor.UserName, "Test-password-1!");

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Theory]
    [MemberData(nameof(HostileUrls))]
    public async Task Login_with_a_hostile_return_url_renders_and_then_leads_home(string returnUrl)
    {
        using var client = _app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        var form = await client.GetAsync($"/Account/Login?ReturnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);

        var response = await AppFactory.PostLoginAsync(client, _email, _password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("http://localhost/", Resolve(response).ToString());
    }

    [Theory]
    [InlineData("/settings/api-keys", "http://localhost/settings/api-keys")]
    [InlineData("http://localhost/settings/api-keys?tab=1", "http://localhost/settings/api-keys?tab=1")]
    [InlineData("settings/api-keys", "http://localhost/settings/api-keys")]
    [InlineData("", "http://localhost/")]
    public async Task Login_with_a_return_url_of_this_app_leads_there(string returnUrl, string expected)
    {
        using var client = _app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        var response = await AppFactory.PostLoginAsync(client, _email, _password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, Resolve(response).ToString());
    }

    [Fact]
    public async Task Signing_in_from_a_protected_page_returns_to_it()
    {
        using var client = _app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var challenge = await client.GetAsync("/settings/api-keys");
        var returnUrl = System.Web.HttpUtility.ParseQueryString(challenge.Headers.Location!.Query)["ReturnUrl"];

        var response = await AppFactory.PostLoginAsync(client, _email, _password, returnUrl);

        Assert.Equal("http://localhost/settings/api-keys", Resolve(response).ToString());
    }

    [Theory]
    [InlineData("/evil.example", "http://localhost/evil.example")]
    [InlineData("//evil.example", "http://localhost/")]
    [InlineData("\\evil.example", "http://localhost/")]
    [InlineData("https://evil.example/", "http://localhost/")]
    public async Task Logout_stays_on_this_site_whatever_the_return_url(string returnUrl, string expected)
    {
        using var client = await _app.SignedInClientAsync(_email, _password);
        var token = AppFactory.AntiforgeryToken(await client.GetStringAsync("/settings/api-keys"));

        var response = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["ReturnUrl"] = returnUrl,
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, Resolve(response).ToString());
    }

    [Theory]
    [InlineData("/app/teams/acme", "teams/acme")]
    [InlineData("http://host/app/teams/acme?x=1#y", "teams/acme?x=1#y")]
    [InlineData("teams/a:b", "teams/a:b")]
    [InlineData("/app", null)]
    [InlineData("/teams/acme", null)]
    [InlineData("http://host/other/", null)]
    [InlineData("/app//evil.example", null)]
    [InlineData("mailto:someone@example.com", null)]
    public void Under_a_path_base_only_pages_below_it_are_local(string uri, string? expected)
    {
        Assert.Equal(expected, Automations.Components.Account.IdentityRedirectManager.ToLocalPath(uri, "http://host/app/"));
    }

    /// <summary>Where a browser goes: .NET, like browsers, reads a backslash in an http URL as a slash.</summary>
    private static Uri Resolve(HttpResponseMessage response) => new(new Uri("http://localhost/"), response.Headers.Location!.OriginalString);
}
