using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Automations.Data;
using Automations.Features.ApiKeys;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Infrastructure.Outbound;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// The whole app in-process over a fresh SQLite folder. Outbound traffic may reach "localhost" only
/// because test configuration allowlists it; DNS answers come from <see cref="Resolver"/>.
/// </summary>
public sealed partial class AppFactory : WebApplicationFactory<Program>
{
    private readonly TestDirectory _directory = new();
    private readonly Dictionary<string, string?> _settings;

    public FakeHostResolver Resolver { get; } = new FakeHostResolver().Map("localhost", "127.0.0.1");

    public FakeTimeProvider? Clock { get; init; }

    /// <summary>Every log line of the host (Information and up from the app and Hangfire): a failing test can show what happened.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Development unless a test is about what production does (error pages, static files from the manifest).</summary>
    public string EnvironmentName { get; init; } = "Development";

    public string DataDirectory => _directory.Path;

    public AppFactory(Dictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory ?? _directory.Path,
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Outbound:RequestTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Development by default: DI scopes are validated.
        builder.UseEnvironment(EnvironmentName);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IHostResolver>(Resolver);
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs);
            if (Clock is not null)
            {
                services.AddSingleton<TimeProvider>(Clock);
            }
        });
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Serves the app on Kestrel at a free port of 127.0.0.1 (for real clients: browsers, agents, scripts); returns its base URL without a trailing slash.</summary>
    public string StartOnLoopback()
    {
        UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        StartServer();
        return Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>A registered user (with a password, so it can sign in) and its actor.</summary>
    public async Task<(Actor Actor, string Password)> CreateUserAsync(string name)
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var email = $"{name}@example.com";
        var user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true };
        const string password = "Test-password-1!";
        var result = await users.CreateAsync(user, password);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        return (new Actor(user.Id, email), password);
    }

    /// <summary>A team with an admin, a member, and an outsider who has a team of their own.</summary>
    public async Task<TeamFixture> CreateTeamAsync(string slug = "acme")
    {
        var admin = (await CreateUserAsync($"{slug}-admin")).Actor;
        var member = (await CreateUserAsync($"{slug}-member")).Actor;
        var outsider = (await CreateUserAsync($"{slug}-outsider")).Actor;
        using var scope = Services.CreateScope();
        var teams = scope.ServiceProvider.GetRequiredService<TeamService>();
        await teams.CreateAsync(admin, $"Team {slug}", slug);
        await teams.AddMemberAsync(admin, slug, member.UserName, TeamRole.Member);
        await teams.CreateAsync(outsider, $"Other {slug}", $"{slug}-other");
        return new TeamFixture(slug, admin, member, outsider);
    }

    /// <summary>An HttpClient that calls the API with a fresh key of <paramref name="actor"/>.</summary>
    public async Task<HttpClient> ApiClientAsync(Actor actor)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await ApiKeyAsync(actor));
        return client;
    }

    /// <summary>A fresh API key of <paramref name="actor"/>, as shown once on the API keys page.</summary>
    public async Task<string> ApiKeyAsync(Actor actor)
    {
        using var scope = Services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync(actor, "tests")).Key;
    }

    /// <summary>An HttpClient signed in through the real login form (cookie auth), as a browser would be.</summary>
    public async Task<HttpClient> SignedInClientAsync(string email, string password = "Test-password-1!")
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await PostLoginAsync(client, email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"login failed: {(int)response.StatusCode}");
        return client;
    }

    /// <summary>Fills and posts the login form as a browser would (GET for the antiforgery token, then POST).</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password, string? returnUrl = null)
    {
        var path = returnUrl is null ? "/Account/Login" : $"/Account/Login?ReturnUrl={Uri.EscapeDataString(returnUrl)}";
        var form = await client.GetStringAsync(path);
        return await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
            ["_handler"] = "login",
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The antiforgery token of the (first) form in <paramref name="html"/>.</summary>
    public static string AntiforgeryToken(string html) => WebUtility.HtmlDecode(AntiforgeryField().Match(html).Groups[1].Value);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // AUTOMATIONS_TEST_LOGS=<folder>: every host's log lines in a file of its own, to see what a failing test's host did.
        if (Environment.GetEnvironmentVariable("AUTOMATIONS_TEST_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllLinesAsync(Path.Combine(folder, $"{DateTime.UtcNow:HHmmss.fff}-{Guid.NewGuid():N}.log"), Logs.Lines);
        }

        _directory.Dispose();
    }
}
