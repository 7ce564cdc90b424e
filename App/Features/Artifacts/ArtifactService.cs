using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Automations.Data;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Artifacts;

/// <summary>
/// Projects, collections, versions and aliases. Every change is written with its <see cref="ArtifactEvent"/>
/// rows in one transaction; listeners (automation matching) join that transaction.
/// </summary>
public sealed class ArtifactService(
    IDbContextFactory<AppDbContext> dbFactory,
    TimeProvider clock,
    IEnumerable<IArtifactEventListener> listeners)
{
    public const string VersionUriScheme = "wandb-artifact://_id/";

    // ---- projects ----

    public async Task<IReadOnlyList<ProjectSummary>> ListProjectsAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return await db.Projects.Where(p => p.TeamId == access.TeamId).OrderBy(p => p.Name)
            .Select(p => new ProjectSummary(p.Id, p.Name, p.Description, db.ArtifactCollections.Count(c => c.ProjectId == p.Id), p.CreatedAt, p.CreatedBy))
            .ToListAsync(ct);
    }

    /// <summary>Any team member may create a project.</summary>
    public async Task<ProjectSummary> CreateProjectAsync(Actor actor, string team, string name, string? description, CancellationToken ct = default)
    {
        name = ArtifactRules.Name(name, "name", "Project");
        description = ArtifactRules.Description(description);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        if (await db.Projects.AnyAsync(p => p.TeamId == access.TeamId && p.Name == name, ct))
        {
            throw new ConflictException("name", $"A project named '{name}' already exists in this team.");
        }

        var project = new Project { TeamId = access.TeamId, Name = name, Description = description, CreatedAt = clock.GetUtcNow(), CreatedBy = actor.UserName };
        db.Projects.Add(project);
        await SaveUniqueAsync(db, "name", $"A project named '{name}' already exists in this team.", ct);
        return new ProjectSummary(project.Id, project.Name, project.Description, 0, project.CreatedAt, project.CreatedBy);
    }

    public async Task<ProjectAccess> GetProjectAsync(Actor actor, string team, string project, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ProjectAccessAsync(db, actor, team, project, ct);
    }

    /// <summary>The caller's access to a project, in one query on the path every project request takes.</summary>
    internal static async Task<ProjectAccess> ProjectAccessAsync(AppDbContext db, Actor actor, string team, string project, CancellationToken ct)
    {
        if (actor.Key is not null)
        {
            // A limited key's access is the team service's to judge (its team, its permission); then the project is looked up.
            var access = await TeamService.GetAccessAsync(db, actor, team, ct);
            var found = await db.Projects.Where(p => p.TeamId == access.TeamId && p.Name == project)
                .Select(p => new { p.Id, p.Name, p.Description }).FirstOrDefaultAsync(ct)
                ?? throw new NotFoundException($"Project '{project}' not found.");
            return new ProjectAccess(access, found.Id, found.Name, found.Description);
        }

        var row = await db.Projects.Where(p => p.Name == project && p.Team.Slug == team)
            .Select(p => new
            {
                p.Id, p.Name, p.Description, p.TeamId, TeamSlug = p.Team.Slug, TeamName = p.Team.Name,
                Role = db.TeamMembers.Where(m => m.TeamId == p.TeamId && m.UserId == actor.UserId).Select(m => (TeamRole?)m.Role).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(ct);
        if (row?.Role is not { } role)
        {
            // Outside the team, the team does not exist; inside it, the project does not.
            await TeamService.GetAccessAsync(db, actor, team, ct);
            throw new NotFoundException($"Project '{project}' not found.");
        }

        return new ProjectAccess(new TeamAccess(row.TeamId, row.TeamSlug, row.TeamName, role), row.Id, row.Name, row.Description);
    }

    // ---- collections ----

    public async Task<IReadOnlyList<CollectionSummary>> ListCollectionsAsync(Actor actor, string team, string project, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        return await db.ArtifactCollections.Where(c => c.ProjectId == access.ProjectId).OrderBy(c => c.Name)
            .Select(c => new CollectionSummary(c.Id, c.Name, c.Type, c.Description, c.NextVersionIndex, c.CreatedAt))
            .ToListAsync(ct);
    }

    public async Task<CollectionSummary> GetCollectionAsync(Actor actor, string team, string project, string collection, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        return await db.ArtifactCollections.Where(c => c.ProjectId == access.ProjectId && c.Name == collection)
            .Select(c => new CollectionSummary(c.Id, c.Name, c.Type, c.Description, c.NextVersionIndex, c.CreatedAt))
            .FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"Collection '{collection}' not found.");
    }

    public async Task<CollectionSummary> CreateCollectionAsync(Actor actor, string team, string project, string name, string type, string? description, CancellationToken ct = default)
    {
        name = ArtifactRules.Name(name, "name", "Collection");
        type = ArtifactRules.Name(type, "type", "Collection type");
        description = ArtifactRules.Description(description);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        if (await db.ArtifactCollections.AnyAsync(c => c.ProjectId == access.ProjectId && c.Name == name, ct))
        {
            throw new ConflictException("name", $"A collection named '{name}' already exists in this project.");
        }

        var collection = new ArtifactCollection { ProjectId = access.ProjectId, Name = name, Type = type, Description = description, CreatedAt = clock.GetUtcNow() };
        db.ArtifactCollections.Add(collection);
        await SaveUniqueAsync(db, "name", $"A collection named '{name}' already exists in this project.", ct);
        return new CollectionSummary(collection.Id, collection.Name, collection.Type, collection.Description, 0, collection.CreatedAt);
    }

    // ---- versions ----

    public async Task<Paged<VersionSummary>> ListVersionsAsync(Actor actor, string team, string project, string collection, PageRequest? paging = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        var collectionId = await CollectionIdAsync(db, access.ProjectId, collection, ct);
        return await db.ArtifactVersions.Where(v => v.CollectionId == collectionId).PageAsync(v => v.Index, paging, rows => rows
            .Select(v => new VersionSummary(v.Index, "v" + v.Index, v.PublicId, v.Digest, v.Description, v.Aliases.OrderBy(a => a.Name).Select(a => a.Name).ToList(), v.CreatedBy, v.CreatedAt)), v => v.Index, ct);
    }

    /// <summary>A version by index (<c>v3</c>) or alias (<c>production</c>, <c>latest</c>).</summary>
    public async Task<VersionDetail> GetVersionAsync(Actor actor, string team, string project, string collection, string reference, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        var collectionId = await CollectionIdAsync(db, access.ProjectId, collection, ct);
        var versionId = await VersionIdAsync(db, collectionId, reference, ct);
        return await DetailAsync(db, access, versionId, ct);
    }

    /// <summary>
    /// Logs a new version: the next index, the automatic <c>latest</c> move, the requested aliases, and their
    /// events, all in one transaction. With an idempotency key, a retry returns the first result.
    /// </summary>
    public async Task<LoggedVersion> LogVersionAsync(Actor actor, string team, string project, string collection, LogVersionRequest request, string? idempotencyKey = null, CancellationToken ct = default)
    {
        collection = ArtifactRules.Name(collection, "collection", "Collection");
        var description = ArtifactRules.Description(request.Description);
        var metadata = MetadataJson(request.Metadata);
        var manifest = ManifestJson(request.Manifest);
        var aliases = (request.Aliases ?? []).Select(a => ArtifactRules.Alias(a, "aliases")).Distinct(StringComparer.Ordinal).ToList();
        if (aliases.Count(a => a != ArtifactRules.LatestAlias) > ArtifactRules.MaxAliasesPerVersion - 1)
        {
            throw new InputException("aliases", $"A version may carry at most {ArtifactRules.MaxAliasesPerVersion} aliases, '{ArtifactRules.LatestAlias}' included.");
        }
        var type = string.IsNullOrWhiteSpace(request.Type) ? null : ArtifactRules.Name(request.Type, "type", "Collection type");
        var digest = string.IsNullOrWhiteSpace(request.Digest) ? ComputeDigest(metadata, manifest) : request.Digest.Trim();
        if (digest.Length > 128)
        {
            throw new InputException("digest", "Digest must be at most 128 characters.");
        }
        if (idempotencyKey is { Length: 0 or > ArtifactRules.MaxIdempotencyKeyLength })
        {
            throw new InputException("Idempotency-Key", $"Idempotency-Key must be 1-{ArtifactRules.MaxIdempotencyKeyLength} characters.");
        }

        var requestHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(new { team, project, collection, description, metadata, manifest, aliases, digest, type }))));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        await PrepareAsync(db, access, [ArtifactRules.LatestAlias, .. aliases], ct);

        await using var tx = await db.BeginWriteTransactionAsync(ct);
        if (idempotencyKey is not null)
        {
            // Two requests with one key, on two instances at once: the second waits and then finds the first's record.
            await db.LockAsync($"idempotency:{actor.UserId}:{idempotencyKey}", ct);
            var previous = await db.IdempotencyRecords.FirstOrDefaultAsync(r => r.UserId == actor.UserId && r.Key == idempotencyKey, ct);
            if (previous is not null)
            {
                if (previous.RequestHash != requestHash)
                {
                    throw new ConflictException("Idempotency-Key", "This Idempotency-Key was already used for a different request.");
                }

                return new LoggedVersion(await DetailAsync(db, access, previous.VersionId, ct), Created: false);
            }
        }

        // The collection's writers (its first version creates it; versions are numbered; aliases move) take turns.
        await db.LockAsync(CollectionLock(access.ProjectId, collection), ct);
        var target = await db.ArtifactCollections.FirstOrDefaultAsync(c => c.ProjectId == access.ProjectId && c.Name == collection, ct);
        if (target is null)
        {
            if (type is null)
            {
                throw new NotFoundException($"Collection '{collection}' not found. Send \"type\" (e.g. \"dataset\") to create it with its first version.");
            }

            target = new ArtifactCollection { ProjectId = access.ProjectId, Name = collection, Type = type, CreatedAt = clock.GetUtcNow() };
            db.ArtifactCollections.Add(target);
            await db.SaveChangesAsync(ct);
        }

        // Increment first: this write is what serialises concurrent loggers of one collection.
        await db.ArtifactCollections.Where(c => c.Id == target.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.NextVersionIndex, c => c.NextVersionIndex + 1), ct);
        var index = await db.ArtifactCollections.Where(c => c.Id == target.Id).Select(c => c.NextVersionIndex).SingleAsync(ct) - 1;

        var now = clock.GetUtcNow();
        var version = new ArtifactVersion
        {
            CollectionId = target.Id,
            Index = index,
            PublicId = NewPublicId(),
            Digest = digest,
            Description = description,
            MetadataJson = metadata,
            ManifestJson = manifest,
            CreatedByUserId = actor.UserId,
            CreatedBy = actor.UserName,
            CreatedAt = now,
        };
        db.ArtifactVersions.Add(version);

        // Everything below is saved in one round of inserts: the version, its aliases, the events and
        // whatever the listeners add, referencing the new version through navigation properties.
        var added = new[] { ArtifactRules.LatestAlias }.Concat(aliases.Where(a => a != ArtifactRules.LatestAlias)).ToList();
        await db.ArtifactAliases.Where(a => a.CollectionId == target.Id && added.Contains(a.Name)).ExecuteDeleteAsync(ct);
        var events = new List<ArtifactEvent> { NewEvent(access, target.Id, version, ArtifactEventTypes.LinkArtifact, null, actor, now) };
        foreach (var alias in added)
        {
            db.ArtifactAliases.Add(new ArtifactAlias { CollectionId = target.Id, Version = version, Name = alias, CreatedAt = now });
            events.Add(NewEvent(access, target.Id, version, ArtifactEventTypes.AddArtifactAlias, alias, actor, now));
        }

        await CommitWithEventsAsync(db, tx, events, ct, afterSave: idempotencyKey is null ? null : async () =>
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord { UserId = actor.UserId, Key = idempotencyKey, RequestHash = requestHash, VersionId = version.Id, CreatedAt = now });
            await db.SaveChangesAsync(ct);
        });
        return new LoggedVersion(await DetailAsync(db, access, version.Id, ct), Created: true);
    }

    // ---- aliases ----

    /// <summary>Adds an alias to a version, moving it from whichever version held it. Adding an alias the version already has changes nothing.</summary>
    public async Task<VersionDetail> AddAliasAsync(Actor actor, string team, string project, string collection, string reference, string alias, CancellationToken ct = default)
    {
        alias = ArtifactRules.Alias(alias);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        await PrepareAsync(db, access, [alias], ct);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.LockAsync(CollectionLock(access.ProjectId, collection), ct);
        var collectionId = await CollectionIdAsync(db, access.ProjectId, collection, ct);
        var versionId = await VersionIdAsync(db, collectionId, reference, ct);
        if (!await db.ArtifactAliases.AnyAsync(a => a.CollectionId == collectionId && a.Name == alias && a.VersionId == versionId, ct))
        {
            if (await db.ArtifactAliases.CountAsync(a => a.VersionId == versionId, ct) >= ArtifactRules.MaxAliasesPerVersion)
            {
                throw new InputException("alias", $"Version {TextRules.Shown(reference)} already carries {ArtifactRules.MaxAliasesPerVersion} aliases, the most a version may have; remove one first.");
            }

            var now = clock.GetUtcNow();
            await MoveAliasAsync(db, collectionId, versionId, alias, now, ct);
            var version = await db.ArtifactVersions.SingleAsync(v => v.Id == versionId, ct);
            await CommitWithEventsAsync(db, tx, [NewEvent(access, collectionId, version, ArtifactEventTypes.AddArtifactAlias, alias, actor, now)], ct);
        }

        return await DetailAsync(db, access, versionId, ct);
    }

    /// <summary>Removes an alias from a version. No event: automations react to additions only.</summary>
    public async Task<VersionDetail> RemoveAliasAsync(Actor actor, string team, string project, string collection, string reference, string alias, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        var collectionId = await CollectionIdAsync(db, access.ProjectId, collection, ct);
        var versionId = await VersionIdAsync(db, collectionId, reference, ct);
        var removed = await db.ArtifactAliases.Where(a => a.VersionId == versionId && a.Name == alias).ExecuteDeleteAsync(ct);
        if (removed == 0)
        {
            throw new NotFoundException($"Version {reference} has no alias '{alias}'.");
        }

        return await DetailAsync(db, access, versionId, ct);
    }

    // ---- events ----

    public async Task<Paged<EventSummary>> ListEventsAsync(Actor actor, string team, string project, PageRequest? paging = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await ProjectAccessAsync(db, actor, team, project, ct);
        return await db.ArtifactEvents.Where(e => e.ProjectId == access.ProjectId).PageAsync(e => e.Id, paging, rows => rows
            .Select(e => new EventSummary(e.Id, e.Type, e.Collection.Name, e.Version.Index, "v" + e.Version.Index, e.Alias, e.Author, e.CreatedAt)), e => e.Id, ct);
    }

    // ---- helpers ----

    private async Task PrepareAsync(AppDbContext db, ProjectAccess access, IReadOnlyCollection<string> aliases, CancellationToken ct)
    {
        foreach (var listener in listeners)
        {
            await listener.PrepareAsync(db, access.Team.TeamId, access.ProjectId, aliases, ct);
        }
    }

    /// <summary>Adds the events, lets the listeners add their rows, saves once and commits; then runs the listeners' after-commit work.</summary>
    private async Task CommitWithEventsAsync(AppDbContext db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, List<ArtifactEvent> events,
        CancellationToken ct, Func<Task>? afterSave = null)
    {
        db.ArtifactEvents.AddRange(events);
        var afterCommit = new List<Action>();
        foreach (var listener in listeners)
        {
            if (await listener.OnEventsAsync(db, events, ct) is { } action)
            {
                afterCommit.Add(action);
            }
        }

        await db.SaveChangesAsync(ct);
        if (afterSave is not null)
        {
            await afterSave();
        }

        await tx.CommitAsync(ct);
        afterCommit.ForEach(action => action());
    }

    private static string CollectionLock(int projectId, string collection) => $"collection:{projectId}:{collection}";

    private static async Task MoveAliasAsync(AppDbContext db, int collectionId, long versionId, string alias, DateTimeOffset now, CancellationToken ct)
    {
        await db.ArtifactAliases.Where(a => a.CollectionId == collectionId && a.Name == alias).ExecuteDeleteAsync(ct);
        db.ArtifactAliases.Add(new ArtifactAlias { CollectionId = collectionId, VersionId = versionId, Name = alias, CreatedAt = now });
        await db.SaveChangesAsync(ct);
    }

    private static ArtifactEvent NewEvent(ProjectAccess access, int collectionId, ArtifactVersion version, string type, string? alias, Actor actor, DateTimeOffset now) => new()
    {
        TeamId = access.Team.TeamId,
        ProjectId = access.ProjectId,
        CollectionId = collectionId,
        Version = version,
        Type = type,
        Alias = alias,
        AuthorUserId = actor.UserId,
        Author = actor.UserName,
        CreatedAt = now,
    };

    private static async Task<int> CollectionIdAsync(AppDbContext db, int projectId, string collection, CancellationToken ct) =>
        await db.ArtifactCollections.Where(c => c.ProjectId == projectId && c.Name == collection).Select(c => (int?)c.Id).FirstOrDefaultAsync(ct)
        ?? throw new NotFoundException($"Collection '{collection}' not found.");

    private static async Task<long> VersionIdAsync(AppDbContext db, int collectionId, string reference, CancellationToken ct)
    {
        var index = ArtifactRules.ParseIndex(reference);
        var id = index is not null
            ? await db.ArtifactVersions.Where(v => v.CollectionId == collectionId && v.Index == index).Select(v => (long?)v.Id).FirstOrDefaultAsync(ct)
            : await db.ArtifactAliases.Where(a => a.CollectionId == collectionId && a.Name == reference).Select(a => (long?)a.VersionId).FirstOrDefaultAsync(ct);
        return id ?? throw new NotFoundException($"Version '{reference}' not found.");
    }

    private static async Task<VersionDetail> DetailAsync(AppDbContext db, ProjectAccess access, long versionId, CancellationToken ct)
    {
        var v = await db.ArtifactVersions.Where(x => x.Id == versionId)
            .Select(x => new
            {
                x.Index, x.PublicId, x.Digest, x.Description, x.MetadataJson, x.ManifestJson, x.CreatedBy, x.CreatedAt,
                Collection = x.Collection.Name, x.Collection.Type,
                Aliases = x.Aliases.OrderBy(a => a.Name).Select(a => a.Name).ToList(),
            })
            .SingleAsync(ct);
        return new VersionDetail(
            access.Team.Slug, access.Name, v.Collection, v.Type, v.Index, $"v{v.Index}", v.PublicId, VersionUriScheme + v.PublicId, v.Digest, v.Description,
            JsonDocument.Parse(v.MetadataJson).RootElement.Clone(),
            v.ManifestJson is null ? null : JsonSerializer.Deserialize<List<ManifestEntry>>(v.ManifestJson, JsonSerializerOptions.Web),
            v.Aliases, v.CreatedBy, v.CreatedAt);
    }

    private static string MetadataJson(JsonElement? metadata)
    {
        if (metadata is null || metadata.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return "{}";
        }
        if (metadata.Value.ValueKind != JsonValueKind.Object)
        {
            throw new InputException("metadata", "Metadata must be a JSON object.");
        }

        TextRules.Require(metadata.Value, "metadata");
        var json = metadata.Value.GetRawText();
        return Encoding.UTF8.GetByteCount(json) <= ArtifactRules.MaxMetadataBytes
            ? json
            : throw new InputException("metadata", $"Metadata must be at most {ArtifactRules.MaxMetadataBytes / 1024} KB.");
    }

    private static string? ManifestJson(IReadOnlyList<ManifestEntry>? manifest)
    {
        if (manifest is null)
        {
            return null;
        }
        if (manifest.Count > ArtifactRules.MaxManifestEntries)
        {
            throw new InputException("manifest", $"A manifest may list at most {ArtifactRules.MaxManifestEntries} files.");
        }

        for (var i = 0; i < manifest.Count; i++)
        {
            var entry = manifest[i];
            if (entry is null || string.IsNullOrWhiteSpace(entry.Path) || entry.Path.Length > 1024)
            {
                throw new InputException($"manifest[{i}].path", "Every manifest entry needs a path of 1-1024 characters.");
            }

            TextRules.Require(entry.Path, $"manifest[{i}].path", multiline: false);
            TextRules.Require(entry.Digest, $"manifest[{i}].digest", multiline: false);
            if (entry.Size is < 0)
            {
                throw new InputException($"manifest[{i}].size", "Size cannot be negative.");
            }
        }

        return JsonSerializer.Serialize(manifest, JsonSerializerOptions.Web);
    }

    private static string ComputeDigest(string metadata, string? manifest) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(metadata + "\n" + (manifest ?? ""))));

    private static string NewPublicId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', '-').Replace('/', '_');


    private static async Task SaveUniqueAsync(AppDbContext db, string field, string message, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException(field, message);
        }
    }
}

/// <summary>Joins the transaction that stores artifact events (the dispatch feature creates automation runs here).</summary>
public interface IArtifactEventListener
{
    /// <summary>
    /// Inside the transaction, before the events are saved: add rows that reference them through navigation
    /// properties (they are saved together, in one round). Returns what to do once the transaction has
    /// committed (hand work to background jobs), or null.
    /// </summary>
    Task<Action?> OnEventsAsync(AppDbContext db, IReadOnlyList<ArtifactEvent> events, CancellationToken ct);

    /// <summary>
    /// Before the write transaction begins: work that depends on user input and can be done without the write
    /// lock (compiling and answering alias patterns for the aliases about to be added).
    /// </summary>
    Task PrepareAsync(AppDbContext db, int teamId, int projectId, IReadOnlyCollection<string> aliases, CancellationToken ct) => Task.CompletedTask;
}
