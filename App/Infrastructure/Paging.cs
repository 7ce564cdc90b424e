using Microsoft.EntityFrameworkCore;

namespace Automations.Infrastructure;

/// <summary>One page of a list, as every list takes it: <c>?page=1&amp;pageSize=50</c> (pages from 1, at most 200 items).</summary>
public sealed record PageRequest(int Page = 1, int PageSize = 50)
{
    public const int MaxPageSize = 200;

    /// <summary>The page asked for, brought within bounds: page 1 or later, 1 to <see cref="MaxPageSize"/> items.</summary>
    public PageRequest Normalized() => new(Math.Max(1, Page), Math.Clamp(PageSize, 1, MaxPageSize));
}

/// <summary>A page of items with the total the list has.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

public static class Paging
{
    /// <summary>
    /// The requested page of an ordered query, read through <paramref name="project"/>, with the query's total.
    /// Every list endpoint and page pages this way.
    /// </summary>
    public static async Task<Paged<T>> PageAsync<TRow, T>(this IOrderedQueryable<TRow> query, PageRequest? request,
        Func<IQueryable<TRow>, IQueryable<T>> project, CancellationToken ct)
    {
        var (page, size) = (request ?? new PageRequest()).Normalized();
        var total = await query.CountAsync(ct);
        var items = await project(query.Skip((page - 1) * size).Take(size)).ToListAsync(ct);
        return new Paged<T>(items, page, size, total);
    }
}
