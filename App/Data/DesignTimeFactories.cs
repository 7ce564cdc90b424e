using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Automations.Data;

/// <summary>
/// For <c>dotnet ef migrations add Name --context PostgresAppDbContext --output-dir Data/Migrations/Postgres --namespace Automations.Data.Migrations.Postgres</c>:
/// adding a migration needs the model, not a server, so the connection string is a placeholder.
/// </summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAppDbContext>
{
    public PostgresAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql("Host=localhost;Database=automations_design")
            .UseApplicationServiceProvider(DesignTimeServices.Identity).Options);
}

/// <summary>For <c>dotnet ef migrations add Name --context AppDbContext --output-dir Data/Migrations --namespace Automations.Data.Migrations</c> (SQLite).</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AppDbContext>().UseSqlite("Data Source=design-time.db")
            .UseApplicationServiceProvider(DesignTimeServices.Identity).Options);
}

/// <summary>The Identity store options the app runs with (schema version 3): they shape the Identity tables of the model.</summary>
internal static class DesignTimeServices
{
    public static readonly IServiceProvider Identity = new ServiceCollection()
        .Configure<IdentityOptions>(options => options.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();
}
