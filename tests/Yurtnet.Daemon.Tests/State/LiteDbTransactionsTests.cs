using LiteDB;
using Yurtnet.Daemon.State;

namespace Yurtnet.Daemon.Tests.State;

/// <summary>LiteDB's internals that <see cref="LiteDbTransactions"/> reaches exist under the names it uses (a LiteDB upgrade that renames them fails here).</summary>
public sealed class LiteDbTransactionsTests
{
    [Fact]
    public void Open_transactions_of_a_database_are_found()
    {
        using var database = new LiteDatabase(new MemoryStream());
        database.GetCollection("leases").Upsert(new BsonDocument { ["_id"] = "10.22.0.7" });

        Assert.Equal(0, LiteDbTransactions.Abandon(database));
        Assert.True(database.BeginTrans());
        database.GetCollection("leases").Upsert(new BsonDocument { ["_id"] = "10.22.0.8" });
        Assert.Equal(1, LiteDbTransactions.Abandon(database));
        database.Rollback();
    }
}
