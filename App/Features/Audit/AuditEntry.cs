using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Audit;

/// <summary>
/// One change someone made to a team's settings, automations or runs: who, when, from where, what. Written in the same
/// transaction as the change (<see cref="AuditLog"/>), never changed afterwards (<see cref="RefuseRewrites"/>).
/// Details hold changed field names and non-secret values only: never a secret's value or a credential.
/// </summary>
public class AuditEntry
{
    public const int MaxUserAgentLength = 256;
    public const int MaxNameLength = 200;
    public const int MaxDetailsLength = 4000;

    public long Id { get; set; }

    public int TeamId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Null for a change made by no signed-in user. Not a foreign key: the entry outlives a deleted account.</summary>
    public string? ActorUserId { get; set; }

    /// <summary>The user name at the time of the change, kept so the entry still reads after a rename or deletion.</summary>
    public string ActorName { get; set; } = "";

    /// <summary>"session" (the web UI), "api key ak_…" (the key's public prefix), or null when not known.</summary>
    public string? Via { get; set; }

    public string? IpAddress { get; set; }

    /// <summary>Truncated to <see cref="MaxUserAgentLength"/>.</summary>
    public string? UserAgent { get; set; }

    /// <summary>area.verb, e.g. <c>webhook.created</c>; see <see cref="AuditActions"/>.</summary>
    public string Action { get; set; } = "";

    public string TargetType { get; set; } = "";

    public string? TargetId { get; set; }

    public string? TargetName { get; set; }

    /// <summary>A small JSON object, or null.</summary>
    public string? Details { get; set; }

    /// <summary>
    /// Audit entries are added, never changed or removed through the change tracker: a save that would is refused as a
    /// whole. Retention removes old entries in bulk (ExecuteDelete), which does not pass here.
    /// </summary>
    public static void RefuseRewrites(ChangeTracker changes)
    {
        // Listing the tracked entries without detecting changes in the whole context (SaveChanges does that next), then
        // detecting them for the few audit entries it tracks: most saves track none, and pay nothing.
        var detect = changes.AutoDetectChangesEnabled;
        changes.AutoDetectChangesEnabled = false;
        try
        {
            foreach (var entry in changes.Entries<AuditEntry>().Where(e => e.State != EntityState.Added))
            {
                entry.DetectChanges();
                if (entry.State is EntityState.Modified or EntityState.Deleted)
                {
                    throw new InvalidOperationException("The audit log is append-only: an audit entry cannot be changed or deleted.");
                }
            }
        }
        finally
        {
            changes.AutoDetectChangesEnabled = detect;
        }
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("AuditEntries");
        builder.Property(e => e.ActorUserId).HasMaxLength(450);
        builder.Property(e => e.ActorName).HasMaxLength(256);
        builder.Property(e => e.Via).HasMaxLength(64);
        builder.Property(e => e.IpAddress).HasMaxLength(64);
        builder.Property(e => e.UserAgent).HasMaxLength(AuditEntry.MaxUserAgentLength);
        builder.Property(e => e.Action).HasMaxLength(64);
        builder.Property(e => e.TargetType).HasMaxLength(32);
        builder.Property(e => e.TargetId).HasMaxLength(64);
        builder.Property(e => e.TargetName).HasMaxLength(AuditEntry.MaxNameLength);
        builder.Property(e => e.Details).HasMaxLength(AuditEntry.MaxDetailsLength);
        // Newest first within a team, by id; each filter's column before the id makes a filtered page a seek.
        builder.HasIndex(e => new { e.TeamId, e.Id });
        builder.HasIndex(e => new { e.TeamId, e.Action, e.Id });
        builder.HasIndex(e => new { e.TeamId, e.ActorName, e.Id });
        builder.HasIndex(e => new { e.TeamId, e.TargetType, e.Id });
        builder.HasIndex(e => new { e.TeamId, e.At });
        builder.HasOne<Team>().WithMany().HasForeignKey(e => e.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}
