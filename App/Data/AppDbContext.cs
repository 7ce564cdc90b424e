using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Audit;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Secrets;
using Automations.Features.Slack;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Automations.Data;

/// <summary>
/// The app's context, and the SQLite one: its migrations are in Data/Migrations. <see cref="PostgresAppDbContext"/>
/// is the same model on PostgreSQL, with its own migrations in Data/Migrations/Postgres.
/// </summary>
public class AppDbContext : IdentityDbContext<ApplicationUser>, IDataProtectionKeyContext
{
    public AppDbContext(DbContextOptions<AppDbContext> options)
        : base(options)
    {
    }

    protected AppDbContext(DbContextOptions options)
        : base(options)
    {
    }

    /// <summary>The Data Protection key ring, when it lives in the database (PostgreSQL: shared by every instance).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Team> Teams => Set<Team>();
    public DbSet<TeamMember> TeamMembers => Set<TeamMember>();
    public DbSet<TeamSecret> TeamSecrets => Set<TeamSecret>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<SlackIntegration> SlackIntegrations => Set<SlackIntegration>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ArtifactCollection> ArtifactCollections => Set<ArtifactCollection>();
    public DbSet<ArtifactVersion> ArtifactVersions => Set<ArtifactVersion>();
    public DbSet<ArtifactAlias> ArtifactAliases => Set<ArtifactAlias>();
    public DbSet<ArtifactEvent> ArtifactEvents => Set<ArtifactEvent>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<Automation> Automations => Set<Automation>();
    public DbSet<AutomationRun> AutomationRuns => Set<AutomationRun>();
    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();
    public DbSet<LaunchJob> LaunchJobs => Set<LaunchJob>();
    public DbSet<LaunchJobVersion> LaunchJobVersions => Set<LaunchJobVersion>();
    public DbSet<LaunchQueue> LaunchQueues => Set<LaunchQueue>();
    public DbSet<LaunchRun> LaunchRuns => Set<LaunchRun>();
    public DbSet<LaunchAgent> LaunchAgents => Set<LaunchAgent>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    /// <summary>Refuses, as a whole, a save that would change or delete an audit entry: the audit log is append-only.</summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        AuditEntry.RefuseRewrites(ChangeTracker);
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    /// <inheritdoc cref="SaveChanges(bool)"/>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        AuditEntry.RefuseRewrites(ChangeTracker);
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset columns; store them as sortable
        // integers there. Other providers (PostgreSQL) keep their native type.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
        else
        {
            // PostgreSQL's timestamptz takes UTC only: a value with another offset (parsed from a request) is the same instant in UTC.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
            configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcDateTimeOffsetConverter>();
        }
    }
}

/// <summary>The same model on PostgreSQL; a type of its own so each provider has its own migrations.</summary>
public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options) : AppDbContext(options);

public sealed class UtcDateTimeOffsetConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(v => v.ToUniversalTime(), v => v);
