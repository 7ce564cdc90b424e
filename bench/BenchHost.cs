using System.Net;
using System.Net.Http.Headers;
using Automations.Data;
using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Automations.Bench;

/// <summary>The whole app on Kestrel at 127.0.0.1 over a fresh SQLite folder, with a user, a team, a project and an API key.</summary>
// Any type of the App assembly names its entry point; Program would clash with this project's own.
public sealed class BenchHost : WebApplicationFactory<AppDbContext>
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "automations-bench", Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _configureServices;

    public string BaseUrl { get; private set; } = "";

    public string ApiKey { get; private set; } = "";

    public Actor Actor { get; private set; } = null!;

    public const string Team = "bench";
    public const string Project = "bench-project";

    public BenchHost(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configureServices = null)
    {
        _settings = new(settings ?? []) { ["Storage:DataDirectory"] = _directory };
        _configureServices = configureServices;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        if (_configureServices is not null)
        {
            builder.ConfigureServices(_configureServices);
        }
    }

    /// <summary>Starts the host; unless <paramref name="joining"/> another host's database, makes the user, team, project and key.</summary>
    public async Task StartAsync(BenchHost? joining = null)
    {
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        if (joining is not null)
        {
            (Actor, ApiKey) = (joining.Actor, joining.ApiKey);
            return;
        }

        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { UserName = "bench@example.com", Email = "bench@example.com" };
        await users.CreateAsync(user, "Bench-password-1!");
        Actor = new Actor(user.Id, user.UserName);
        await scope.ServiceProvider.GetRequiredService<TeamService>().CreateAsync(Actor, "Bench", Team);
        await scope.ServiceProvider.GetRequiredService<ArtifactService>().CreateProjectAsync(Actor, Team, Project, null);
        ApiKey = (await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync(Actor, "bench")).Key;
    }

    public HttpClient NewClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(BaseUrl),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
