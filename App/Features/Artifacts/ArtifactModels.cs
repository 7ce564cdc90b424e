using System.Text.Json;
using Automations.Features.Teams;

namespace Automations.Features.Artifacts;

public sealed record ProjectSummary(int Id, string Name, string Description, int CollectionCount, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>The caller's view of one project: which team, which role.</summary>
public sealed record ProjectAccess(TeamAccess Team, int ProjectId, string Name, string Description);

public sealed record CollectionSummary(int Id, string Name, string Type, string Description, int VersionCount, DateTimeOffset CreatedAt);

public sealed record ManifestEntry(string Path, long? Size, string? Digest);

public sealed record VersionSummary(
    int Index,
    string Version,
    string Id,
    string Digest,
    string Description,
    IReadOnlyList<string> Aliases,
    string CreatedBy,
    DateTimeOffset CreatedAt);

public sealed record VersionDetail(
    string Entity,
    string Project,
    string Collection,
    string CollectionType,
    int Index,
    string Version,
    string Id,
    string Uri,
    string Digest,
    string Description,
    JsonElement Metadata,
    IReadOnlyList<ManifestEntry>? Manifest,
    IReadOnlyList<string> Aliases,
    string CreatedBy,
    DateTimeOffset CreatedAt);

/// <summary>What a script sends to log a version. Type creates the collection on first use.</summary>
public sealed record LogVersionRequest(
    string? Description = null,
    JsonElement? Metadata = null,
    IReadOnlyList<ManifestEntry>? Manifest = null,
    IReadOnlyList<string>? Aliases = null,
    string? Digest = null,
    string? Type = null);

public sealed record EventSummary(
    long Id,
    string Type,
    string Collection,
    int VersionIndex,
    string Version,
    string? Alias,
    string Author,
    DateTimeOffset CreatedAt);


public sealed record LoggedVersion(VersionDetail Version, bool Created);
