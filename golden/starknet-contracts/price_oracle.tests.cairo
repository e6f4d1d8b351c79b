#[cfg(test)]
mod tests {
    use super::{
        PriceOracle, IPriceOracle, IPriceOracleDispatcher, IPriceOracleDispatcherTrait, read_price,
    };
    use starknet::{ContractAddress, contract_address_const};

    // Never run: only has to compile, which proves the interface generated the dispatcher types.
    fn _dispatcher_type_checks(oracle: ContractAddress) -> u128 {
        let dispatcher = IPriceOracleDispatcher { contract_address: oracle };
        dispatcher.set_price('BTC', 1);
        dispatcher.set_prices(array!['ETH'].span(), array![2].span());
        dispatcher.get_price('BTC')
    }

    #[test]
    fn prices_are_stored_per_asset() {
        let mut state = PriceOracle::contract_state_for_testing();
        assert_eq!(IPriceOracle::get_price(@state, 'ETH'), 0);
        IPriceOracle::set_price(ref state, 'ETH', 3000);
        IPriceOracle::set_price(ref state, 'BTC', 60000);
        IPriceOracle::set_price(ref state, 'ETH', 3100);
        assert_eq!(IPriceOracle::get_price(@state, 'ETH'), 3100);
        assert_eq!(IPriceOracle::get_price(@state, 'BTC'), 60000);
    }

    #[test]
    fn batch_update() {
        let mut state = PriceOracle::contract_state_for_testing();
        IPriceOracle::set_prices(ref state, array!['ETH', 'BTC', 'STRK'].span(), array![1, 2, 3].span());
        IPriceOracle::set_prices(ref state, array![].span(), array![].span());
        assert_eq!(IPriceOracle::get_price(@state, 'ETH'), 1);
        assert_eq!(IPriceOracle::get_price(@state, 'BTC'), 2);
        assert_eq!(IPriceOracle::get_price(@state, 'STRK'), 3);
    }

    #[test]
    #[should_panic(expected: ('Length mismatch',))]
    fn batch_length_mismatch() {
        let mut state = PriceOracle::contract_state_for_testing();
        IPriceOracle::set_prices(ref state, array!['ETH', 'BTC'].span(), array![1].span());
    }

    // `read_price` must go through a real contract call: with nothing deployed there, it panics.
    #[test]
    #[should_panic]
    fn read_price_calls_the_contract() {
        read_price(contract_address_const::<0x999>(), 'ETH');
    }
}
