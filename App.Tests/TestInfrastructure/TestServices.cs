using Automations.Features;
using Automations.Data;
using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Infrastructure.Outbound;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// The app's services over a real SQLite file, wired by the same extension methods Program.cs calls,
/// with DNS and time under the test's control.
/// </summary>
public sealed class TestServices : IAsyncDisposable
{
    private readonly TestDirectory _directory = new();

    public ServiceProvider Provider { get; }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    public FakeHostResolver Resolver { get; } = new();

    /// <summary>What would have gone to Hangfire; tests run the jobs themselves.</summary>
    public RecordingDispatchQueue Queue { get; } = new();

    /// <summary>Every log line written, to check that no secret reaches a log.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    public string DataDirectory => _directory.Path;

    private TestServices(Dictionary<string, string?> settings, Action<IServiceCollection>? configure)
    {
        settings.TryAdd("Storage:DataDirectory", _directory.Path);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var environment = new TestEnvironment(_directory.Path);
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<TimeProvider>(Clock);
        services.AddAppDatabase(configuration, environment);
        services.AddAppDataProtection(configuration, environment);
        services.AddGuardedHttpClient(configuration);
        services.AddSingleton<IHostResolver>(Resolver);
        services.AddFeatures(configuration);
        services.AddSingleton<IDispatchQueue>(Queue);
        services.AddSingleton<ILoggerProvider>(Logs);
        // The same Identity schema version as the app, or the model would differ from the migrations.
        services.AddIdentityCore<ApplicationUser>(o => o.Stores.SchemaVersion = Microsoft.AspNetCore.Identity.IdentitySchemaVersions.Version3)
            .AddEntityFrameworkStores<AppDbContext>();
        configure?.Invoke(services);
        Provider = services.BuildServiceProvider();
    }

    /// <summary>Creates the services and migrates a fresh database.</summary>
    public static async Task<TestServices> CreateAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null,
        DatabaseProvider provider = DatabaseProvider.Sqlite)
    {
        settings ??= new Dictionary<string, string?> { ["Outbound:AllowedHosts:0"] = "localhost" };
        if (provider == DatabaseProvider.Postgres)
        {
            foreach (var (key, value) in await PostgresServer.SettingsAsync())
            {
                settings[key] = value;
            }
        }

        var services = new TestServices(settings, configure);
        await using var db = await services.DbFactory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        return services;
    }

    /// <summary>Services on a PostgreSQL database that app processes already use (their migrations applied): to set up data beside them.</summary>
    public static async Task<TestServices> BesideAsync(string postgresConnectionString)
    {
        var services = await CreateAsync(new()
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Default"] = postgresConnectionString,
            ["Outbound:AllowedHosts:0"] = "localhost",
        });
        services.Resolver.Map("localhost", "127.0.0.1");
        return services;
    }

    public IDbContextFactory<AppDbContext> DbFactory => Provider.GetRequiredService<IDbContextFactory<AppDbContext>>();

    public T Get<T>() where T : notnull => Provider.GetRequiredService<T>();

    /// <summary>A user row and the actor that stands for it.</summary>
    public async Task<Actor> CreateUserAsync(string name)
    {
        await using var db = await DbFactory.CreateDbContextAsync();
        var user = new ApplicationUser
        {
            UserName = name,
            NormalizedUserName = name.ToUpperInvariant(),
            Email = $"{name}@example.com",
            NormalizedEmail = $"{name}@example.com".ToUpperInvariant(),
        };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return new Actor(user.Id, name);
    }

    /// <summary>A team with an admin, a member, and an outsider who belongs to another team.</summary>
    public async Task<TeamFixture> CreateTeamAsync(string slug = "acme")
    {
        var admin = await CreateUserAsync($"{slug}-admin");
        var member = await CreateUserAsync($"{slug}-member");
        var outsider = await CreateUserAsync($"{slug}-outsider");
        var teams = Get<TeamService>();
        await teams.CreateAsync(admin, $"Team {slug}", slug);
        await teams.AddMemberAsync(admin, slug, member.UserName, TeamRole.Member);
        await teams.CreateAsync(outsider, $"Other {slug}", $"{slug}-other");
        return new TeamFixture(slug, admin, member, outsider);
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        _directory.Dispose();
    }

    private sealed class TestEnvironment(string root) : IWebHostEnvironment
    {
        public string ApplicationName { get; set; } = "App";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
        public string ContentRootPath { get; set; } = root;
        public string EnvironmentName { get; set; } = Environments.Development;
        public string WebRootPath { get; set; } = root;
        public IFileProvider WebRootFileProvider { get; set; } = new NullFileProvider();
    }
}

public sealed record TeamFixture(string Slug, Actor Admin, Actor Member, Actor Outsider);
