use core::dict::Felt252Dict;

#[derive(Drop, Copy, Debug, PartialEq)]
pub enum InventoryError {
    OutOfStock,
    UnknownItem,
}

/// Stock per item id. A `Felt252Dict` must be squashed, so the struct derives `Destruct`, not `Drop`.
#[derive(Destruct)]
pub struct Inventory {
    stock: Felt252Dict<u64>,
    total: u64,
}

#[generate_trait]
pub impl InventoryImpl of InventoryTrait {
    fn new() -> Inventory {
        Inventory { stock: Default::default(), total: 0 }
    }

    fn add(ref self: Inventory, item: felt252, quantity: u64) {
        let current = self.stock.get(item);
        self.stock.insert(item, current + quantity);
        self.total += quantity;
    }

    fn remove(ref self: Inventory, item: felt252, quantity: u64) -> Result<u64, InventoryError> {
        let current = self.stock.get(item);
        if current == 0 {
            return Result::Err(InventoryError::UnknownItem);
        }
        if current < quantity {
            return Result::Err(InventoryError::OutOfStock);
        }
        let left = current - quantity;
        self.stock.insert(item, left);
        self.total -= quantity;
        Result::Ok(left)
    }

    fn quantity(ref self: Inventory, item: felt252) -> u64 {
        self.stock.get(item)
    }

    fn total(self: @Inventory) -> u64 {
        *self.total
    }
}
