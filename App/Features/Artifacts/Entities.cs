using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Artifacts;

public class Project
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    /// <summary>Rendered as <c>${project_name}</c>; unique in its team.</summary>
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public Team Team { get; set; } = null!;
}

public class ArtifactCollection
{
    public int Id { get; set; }

    public int ProjectId { get; set; }

    /// <summary>Rendered as <c>${artifact_collection_name}</c>; unique in its project.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>dataset</c>, <c>model</c>, ...</summary>
    public string Type { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>The index the next version gets. Incremented first in the writing transaction, which serialises writers per collection.</summary>
    public int NextVersionIndex { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public Project Project { get; set; } = null!;
}

public class ArtifactVersion
{
    public long Id { get; set; }

    public int CollectionId { get; set; }

    /// <summary>0, 1, 2... shown as v0, v1, v2.</summary>
    public int Index { get; set; }

    /// <summary>The opaque id in <c>${artifact_version}</c>: never reveals row ids or counts.</summary>
    public string PublicId { get; set; } = "";

    public string Digest { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>A JSON object.</summary>
    public string MetadataJson { get; set; } = "{}";

    /// <summary>A JSON array of manifest entries, or null.</summary>
    public string? ManifestJson { get; set; }

    public string CreatedByUserId { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public ArtifactCollection Collection { get; set; } = null!;

    public List<ArtifactAlias> Aliases { get; set; } = [];
}

public class ArtifactAlias
{
    public long Id { get; set; }

    public int CollectionId { get; set; }

    public long VersionId { get; set; }

    public string Name { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public ArtifactVersion Version { get; set; } = null!;
}

public static class ArtifactEventTypes
{
    public const string LinkArtifact = "LINK_ARTIFACT";
    public const string AddArtifactAlias = "ADD_ARTIFACT_ALIAS";
}

/// <summary>One change to a project's artifacts, written in the same transaction as the change.</summary>
public class ArtifactEvent
{
    public long Id { get; set; }

    public int TeamId { get; set; }

    public int ProjectId { get; set; }

    public int CollectionId { get; set; }

    public long VersionId { get; set; }

    /// <summary><see cref="ArtifactEventTypes"/>.</summary>
    public string Type { get; set; } = "";

    /// <summary>The alias added, for ADD_ARTIFACT_ALIAS.</summary>
    public string? Alias { get; set; }

    public string AuthorUserId { get; set; } = "";

    public string Author { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public Project Project { get; set; } = null!;

    public ArtifactCollection Collection { get; set; } = null!;

    public ArtifactVersion Version { get; set; } = null!;
}

/// <summary>Remembers the answer to a version log sent with an Idempotency-Key, so a retry creates nothing new.</summary>
public class IdempotencyRecord
{
    public long Id { get; set; }

    public string UserId { get; set; } = "";

    public string Key { get; set; } = "";

    /// <summary>SHA-256 of the request (route and body): the same key with another request is a conflict.</summary>
    public string RequestHash { get; set; } = "";

    public long VersionId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ArtifactConfigurations :
    IEntityTypeConfiguration<Project>,
    IEntityTypeConfiguration<ArtifactCollection>,
    IEntityTypeConfiguration<ArtifactVersion>,
    IEntityTypeConfiguration<ArtifactAlias>,
    IEntityTypeConfiguration<ArtifactEvent>,
    IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<Project> builder)
    {
        builder.Property(p => p.Name).HasMaxLength(ArtifactRules.MaxNameLength);
        builder.Property(p => p.Description).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.Property(p => p.CreatedBy).HasMaxLength(256);
        builder.HasIndex(p => new { p.TeamId, p.Name }).IsUnique();
        builder.HasOne(p => p.Team).WithMany().HasForeignKey(p => p.TeamId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ArtifactCollection> builder)
    {
        builder.Property(c => c.Name).HasMaxLength(ArtifactRules.MaxNameLength);
        builder.Property(c => c.Type).HasMaxLength(64);
        builder.Property(c => c.Description).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.HasIndex(c => new { c.ProjectId, c.Name }).IsUnique();
        builder.HasOne(c => c.Project).WithMany().HasForeignKey(c => c.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ArtifactVersion> builder)
    {
        builder.Property(v => v.PublicId).HasMaxLength(32);
        builder.Property(v => v.Digest).HasMaxLength(128);
        builder.Property(v => v.Description).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.Property(v => v.CreatedBy).HasMaxLength(256);
        builder.HasIndex(v => new { v.CollectionId, v.Index }).IsUnique();
        builder.HasIndex(v => v.PublicId).IsUnique();
        builder.HasOne(v => v.Collection).WithMany().HasForeignKey(v => v.CollectionId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ArtifactAlias> builder)
    {
        builder.Property(a => a.Name).HasMaxLength(ArtifactRules.MaxAliasLength);
        // One holder per alias in a collection: the database enforces what the service does.
        builder.HasIndex(a => new { a.CollectionId, a.Name }).IsUnique();
        builder.HasOne(a => a.Version).WithMany(v => v.Aliases).HasForeignKey(a => a.VersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<ArtifactCollection>().WithMany().HasForeignKey(a => a.CollectionId).OnDelete(DeleteBehavior.NoAction);
    }

    public void Configure(EntityTypeBuilder<ArtifactEvent> builder)
    {
        builder.Property(e => e.Type).HasMaxLength(32);
        builder.Property(e => e.Alias).HasMaxLength(ArtifactRules.MaxAliasLength);
        builder.Property(e => e.Author).HasMaxLength(256);
        builder.HasIndex(e => new { e.ProjectId, e.Id });
        // Retention: the oldest events first.
        builder.HasIndex(e => e.CreatedAt);
        builder.HasOne(e => e.Project).WithMany().HasForeignKey(e => e.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(e => e.Collection).WithMany().HasForeignKey(e => e.CollectionId).OnDelete(DeleteBehavior.NoAction);
        builder.HasOne(e => e.Version).WithMany().HasForeignKey(e => e.VersionId).OnDelete(DeleteBehavior.NoAction);
    }

    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.Property(r => r.Key).HasMaxLength(ArtifactRules.MaxIdempotencyKeyLength);
        builder.Property(r => r.RequestHash).HasMaxLength(64);
        builder.HasIndex(r => new { r.UserId, r.Key }).IsUnique();
        // Retention: the oldest records first.
        builder.HasIndex(r => r.CreatedAt);
    }
}
