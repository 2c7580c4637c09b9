using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace XenoCrm.Core.Data.Migrations.MySql
{
    /// <inheritdoc />
    public partial class ListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_orders_ordered_at",
                table: "orders",
                column: "ordered_at");

            migrationBuilder.CreateIndex(
                name: "IX_customers_order_count",
                table: "customers",
                column: "order_count");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_orders_ordered_at",
                table: "orders");

            migrationBuilder.DropIndex(
                name: "IX_customers_order_count",
                table: "customers");
        }
    }
}
