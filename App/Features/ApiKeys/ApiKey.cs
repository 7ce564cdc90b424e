using Automations.Data;
using Automations.Features.Launch;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.ApiKeys;

/// <summary>
/// A personal key (<see cref="UserId"/> set: acts as that user, optionally limited to one team and a permission) or a
/// team's service key (<see cref="UserId"/> null, <see cref="TeamId"/> set: acts as nobody, survives its creator leaving).
/// </summary>
public class ApiKey
{
    public const int MaxNameLength = 100;

    public int Id { get; set; }

    /// <summary>The user a personal key acts as; null for a team's service key.</summary>
    public string? UserId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The public part of the key, used to find the row; shown in lists so a user can tell keys apart.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>SHA-256 of the whole key. The key itself is shown once and never stored.</summary>
    public string Hash { get; set; } = "";

    /// <summary>The only team the key reaches; required for a service key, optional for a personal one.</summary>
    public int? TeamId { get; set; }

    public KeyPermission Permission { get; set; } = KeyPermission.Admin;

    /// <summary>For an agent key, the only queue it serves.</summary>
    public int? QueueId { get; set; }

    /// <summary>After this the key fails like a revoked one; null for no expiry.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Who created it (the user name at the time): for a service key, the admin to ask about it.</summary>
    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Written at most once per <see cref="ApiKeyService.LastUseWindow"/>, not on every request.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public ApplicationUser? User { get; set; }

    public Team? Team { get; set; }

    public LaunchQueue? Queue { get; set; }

    public bool IsServiceKey => UserId is null;

    /// <summary>What the key's limits are on a request; null for a personal key that is the whole user.</summary>
    public KeyScope? Scope() =>
        IsServiceKey || TeamId is not null || Permission != KeyPermission.Admin ? new KeyScope(Id, TeamId, Permission, QueueId, IsServiceKey) : null;
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.Property(k => k.Name).HasMaxLength(ApiKey.MaxNameLength);
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.Property(k => k.Hash).HasMaxLength(64);
        builder.Property(k => k.CreatedBy).HasMaxLength(256);
        builder.Property(k => k.Permission).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(k => k.Prefix).IsUnique();
        builder.HasIndex(k => k.UserId);
        builder.HasIndex(k => k.TeamId);
        builder.HasOne(k => k.User).WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(k => k.Team).WithMany().HasForeignKey(k => k.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(k => k.Queue).WithMany().HasForeignKey(k => k.QueueId).OnDelete(DeleteBehavior.Cascade);
    }
}
