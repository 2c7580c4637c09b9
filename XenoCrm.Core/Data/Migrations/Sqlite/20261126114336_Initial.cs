using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace XenoCrm.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    prefix = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_used_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    revoked_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "customers",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    external_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    phone = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    city = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    country = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    signed_up_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    total_spend = table.Column<double>(type: "REAL", precision: 18, scale: 2, nullable: false),
                    order_count = table.Column<int>(type: "INTEGER", nullable: false),
                    first_order_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_order_at = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_customers", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "dead_letters",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    topic = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    body = table.Column<string>(type: "TEXT", nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dead_letters", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "orders",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    external_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    customer_id = table.Column<long>(type: "INTEGER", nullable: false),
                    amount = table.Column<double>(type: "REAL", precision: 18, scale: 2, nullable: false),
                    ordered_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_orders", x => x.id);
                    table.ForeignKey(
                        name: "FK_orders_customers_customer_id",
                        column: x => x.customer_id,
                        principalTable: "customers",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_prefix",
                table: "api_keys",
                column: "prefix",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_customers_email",
                table: "customers",
                column: "email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_customers_external_id",
                table: "customers",
                column: "external_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_customers_last_order_at",
                table: "customers",
                column: "last_order_at");

            migrationBuilder.CreateIndex(
                name: "IX_customers_total_spend",
                table: "customers",
                column: "total_spend");

            migrationBuilder.CreateIndex(
                name: "IX_dead_letters_created_at",
                table: "dead_letters",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "IX_orders_customer_id_ordered_at",
                table: "orders",
                columns: new[] { "customer_id", "ordered_at" });

            migrationBuilder.CreateIndex(
                name: "IX_orders_external_id",
                table: "orders",
                column: "external_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "dead_letters");

            migrationBuilder.DropTable(
                name: "orders");

            migrationBuilder.DropTable(
                name: "customers");
        }
    }
}
