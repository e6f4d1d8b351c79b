#[cfg(test)]
mod tests {
    use super::{InventoryError, InventoryTrait};

    #[test]
    fn adds_and_counts() {
        let mut inventory = InventoryTrait::new();
        inventory.add('apple', 3);
        inventory.add('pear', 2);
        inventory.add('apple', 4);
        assert_eq!(inventory.quantity('apple'), 7);
        assert_eq!(inventory.quantity('pear'), 2);
        assert_eq!(inventory.quantity('plum'), 0);
        assert_eq!(inventory.total(), 9);
    }

    #[test]
    fn removes_within_stock() {
        let mut inventory = InventoryTrait::new();
        inventory.add('apple', 5);
        assert_eq!(inventory.remove('apple', 2), Result::Ok(3));
        assert_eq!(inventory.remove('apple', 3), Result::Ok(0));
        assert_eq!(inventory.quantity('apple'), 0);
        assert_eq!(inventory.total(), 0);
    }

    #[test]
    fn errors_leave_the_stock_alone() {
        let mut inventory = InventoryTrait::new();
        inventory.add('apple', 1);
        assert_eq!(inventory.remove('apple', 2), Result::Err(InventoryError::OutOfStock));
        assert_eq!(inventory.remove('kiwi', 1), Result::Err(InventoryError::UnknownItem));
        assert_eq!(inventory.quantity('apple'), 1);
        assert_eq!(inventory.total(), 1);
    }
}
